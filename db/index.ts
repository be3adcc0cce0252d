import { performance } from 'node:perf_hooks';
import { ConnectionError, QueryTypes, Sequelize, type Options } from 'sequelize';
import { sequelizeOptions } from '../config/database';
import type { DatabaseConfig } from '../config/env';
import type { Logger } from '../config/logger';
import { poolAccess, readPoolStats, type PoolStats } from './pool';
import { createProbe, type DatabaseProbe, type ProbeSettings } from './probe';

export type { PoolStats } from './pool';
export type { DatabaseProbe, ProbeReport, ProbeStatus } from './probe';

export interface PingResult {
  readonly responseTimeMs: number;
}

export interface Database {
  readonly sequelize: Sequelize;
  /** Runs one trivial statement and measures the round trip, including acquiring a connection. */
  ping(): Promise<PingResult>;
  poolStats(): PoolStats;
  /** The shared, bounded health probe (see db/probe.ts). */
  readonly probe: DatabaseProbe;
  /** Closes the pool; gives up waiting for checked-out connections after timeoutMs. */
  close(timeoutMs?: number): Promise<void>;
}

/** The subset of a pg Client the connection hooks use. */
interface PgConnection {
  query(config: { text: string; values: unknown[]; query_timeout: number }): Promise<unknown>;
  processID?: number;
  connection?: { stream: { destroy(): void } };
}

// One round trip sets everything a new physical connection needs.
const SESSION_SETUP_SQL = `SELECT set_config('application_name', $1, false),
         set_config('statement_timeout', $2, false),
         set_config('TimeZone', 'UTC', false),
         set_config('client_min_messages', 'warning', false)`;

export type ResolvedDatabaseConfig = DatabaseConfig & { readonly url: string };

/**
 * Builds the Sequelize instance and its pool. Nothing connects here: the first query opens the
 * first connection, so the service can boot while the database is down.
 */
export function createDatabase(
  config: ResolvedDatabaseConfig,
  logger: Logger,
  probeOverrides: Pick<ProbeSettings, 'statement'> = {},
): Database {
  const base = sequelizeOptions(config);
  const options: Options & { keepDefaultTimezone: boolean; databaseVersion: string } = {
    ...base,
    timezone: '+00:00',
    // Not in Sequelize's typings (nor is databaseVersion): skips its own SET TIME ZONE round trip on every new connection;
    // the afterConnect hook sets TimeZone together with the other session settings.
    keepDefaultTimezone: true,
    // Skips Sequelize's version probe, an extra connection outside the pool on the first query.
    // 13 is the oldest PostgreSQL keel supports; nothing Sequelize does differs above it.
    databaseVersion: '13.0.0',
    dialectOptions: { ...base.dialectOptions, clientMinMessages: 'ignore' },
    logging: (sql: string, timingMs?: number) => logger.silly('sql', { sql, durationMs: timingMs }),
    benchmark: true,
  };
  const sequelize = new Sequelize(options);

  sequelize.addHook('afterConnect', async (connection: unknown) => {
    const client = connection as PgConnection;
    try {
      // Bounded like the connect itself: a server that accepted the connection but went silent
      // must not hold the pool's create call (and the caller waiting on it) forever.
      await client.query({
        text: SESSION_SETUP_SQL,
        values: [config.applicationName, `${config.statementTimeoutMs}ms`],
        query_timeout: config.connectTimeoutMs,
      });
    } catch (error) {
      // Sequelize does not close a connection whose afterConnect hook failed: close it here.
      client.connection?.stream.destroy();
      throw new ConnectionError(error instanceof Error ? error : new Error(String(error)));
    }
    logger.debug('database connection opened', { backendPid: client.processID });
  });
  sequelize.addHook('afterDisconnect', async (connection: unknown) => {
    logger.debug('database connection closed', { backendPid: (connection as PgConnection).processID });
  });

  let closing: Promise<void> | undefined;

  return {
    sequelize,
    async ping() {
      const started = performance.now();
      await sequelize.query('SELECT 1', { type: QueryTypes.SELECT, logging: false });
      return { responseTimeMs: Math.round((performance.now() - started) * 100) / 100 };
    },
    poolStats: () => readPoolStats(sequelize),
    probe: createProbe(poolAccess(sequelize), { ...config.probe, ...probeOverrides }, logger),
    close(timeoutMs = 5_000) {
      closing ??= closeWithin(sequelize, timeoutMs, logger);
      return closing;
    },
  };
}

async function closeWithin(sequelize: Sequelize, timeoutMs: number, logger: Logger): Promise<void> {
  // Sequelize's close() waits for every checked-out connection to come back, which can be never.
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([sequelize.close().then(() => 'closed' as const), gaveUp]);
    if (outcome === 'timeout') {
      logger.warn('database pool did not close in time; connections still checked out were abandoned', {
        timeoutMs,
        pool: readPoolStats(sequelize),
      });
    }
  } finally {
    clearTimeout(timer);
  }
}

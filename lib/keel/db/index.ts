import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { ConnectionError, QueryTypes, Sequelize, type Options, type Transaction } from 'sequelize';
import { sequelizeOptions } from '../../../config/database';
import type { DatabaseConfig } from '../../../config/env';
import type { Logger } from '../../../config/logger';
import { projectRoot } from '../../../config/project';
import { installTransactionScope } from './transaction-scope';
import { openConnectionsOutsideRequests, outsideAnyRequest } from './outside-requests';
import { createMigrationMonitor, type MigrationMonitor } from './migration-state';
import { timeAcquires, type AcquireListener } from './acquire-timing';
import { poolAccess, readPoolStats, type PoolStats } from './pool';
import { createProbe, type DatabaseProbe, type ProbeSettings } from './probe';
import { enableDirectReads } from './direct';
import { createReplicaSet, type Replica, type ReplicaServerOptions } from './replica-pools';
import { readOnThePrimary, routeReadsToReplicas } from './replica-reads';
import { replicaInspection } from './replication';
import { traceStatements, type DatabaseTracer } from './traced';
import { runUnitOfWork, type TransactionSettings, type UnitOfWorkOptions } from './unit-of-work';

export type { PoolStats } from './pool';
export type { AcquireListener } from './acquire-timing';
export type { DatabaseProbe, ProbeReport, ProbeStatus } from './probe';
export type { ReplicationReport } from './replication';
export type { Replica } from './replica-pools';
export type { MigrationMonitor, MigrationState } from './migration-state';
export type { TransactionSettings, UnitOfWorkOptions } from './unit-of-work';
export type { DatabaseTracer } from './traced';

export interface PingResult {
  readonly responseTimeMs: number;
}

export interface Database {
  readonly sequelize: Sequelize;
  /** Runs one trivial statement and measures the round trip, including acquiring a connection. */
  ping(): Promise<PingResult>;
  poolStats(): PoolStats;
  /** The shared, bounded health probe of the primary (see lib/keel/db/probe.ts). */
  readonly probe: DatabaseProbe;
  /** The read replicas of DATABASE_REPLICA_URLS, in its order, each with its own pool and probe (empty without). */
  readonly replicas: readonly Replica[];
  /** Calls listener with the duration of every connection checkout (lib/keel/db/acquire-timing.ts). */
  onAcquire(listener: AcquireListener): void;
  /** Migrations on disk versus applied (SequelizeMeta), read rarely. */
  readonly migrations: MigrationMonitor;
  /**
   * Runs work in one transaction carrying settings for row-level security
   * (current_setting('app.<key>')); see lib/keel/db/unit-of-work.ts. Pass the request's signal (res.locals.signal):
   * at the request deadline, or when the client goes away, the work's statement is cancelled and nothing commits.
   */
  unitOfWork<T>(settings: TransactionSettings, work: (transaction: Transaction) => Promise<T>, options?: UnitOfWorkOptions): Promise<T>;
  /** Closes the pool; gives up waiting for checked-out connections after timeoutMs. */
  close(timeoutMs?: number): Promise<void>;
}

/** The subset of a pg Client the connection hooks use. */
interface PgConnection {
  query(config: { text: string; values: unknown[]; query_timeout: number }): Promise<unknown>;
  on(event: 'error', listener: (error: Error & { code?: string }) => void): void;
  processID?: number;
  connection?: { stream: { destroy(): void } };
}

/**
 * How long after DB_STATEMENT_TIMEOUT_MS the client itself gives up on a query (pg's query_timeout).
 * statement_timeout is enforced by the server: it cannot fire when the network to the server is cut
 * (a partition, a silent load balancer), and a query would then wait forever on a checked-out
 * connection. The margin leaves the server's own cancel (which keeps the connection) time to arrive first.
 */
export const CLIENT_QUERY_TIMEOUT_MARGIN_MS = 1_000;

// One round trip sets everything a new physical connection needs.
const SESSION_SETUP_SQL = `SELECT set_config('application_name', $1, false),
         set_config('statement_timeout', $2, false),
         set_config('idle_in_transaction_session_timeout', $3, false),
         set_config('TimeZone', 'UTC', false),
         set_config('client_min_messages', 'warning', false)`;

export type ResolvedDatabaseConfig = DatabaseConfig & { readonly url: string };

/** What createDatabase takes beside the configuration. */
export interface DatabaseOptions extends Pick<ProbeSettings, 'statement'> {
  /**
   * True while the database is expected to end its sessions, so that a connection lost then is
   * logged at debug, not as a fault. bin/www: while it shuts down with the embedded PostgreSQL it
   * runs, which Ctrl-C reaches too and which ends its sessions before keel closes its pool.
   */
  readonly disconnectsExpected?: () => boolean;
  /** Spans for units of work and statements (lib/keel/tracing), when tracing is on. */
  readonly tracer?: DatabaseTracer | undefined;
}

/**
 * Builds the Sequelize instance and its pool. Nothing connects here: the first query opens the
 * first connection, so the service can boot while the database is down.
 */
export function createDatabase(config: ResolvedDatabaseConfig, logger: Logger, databaseOptions: DatabaseOptions = {}): Database {
  const { disconnectsExpected = () => false, tracer, ...probeOverrides } = databaseOptions;
  installTransactionScope();
  // query_timeout: the client-side backstop (see CLIENT_QUERY_TIMEOUT_MARGIN_MS). On 'Query read timeout'
  // Sequelize marks the connection invalid, so the pool destroys it instead of handing it out again.
  // A query cannot outlive it even after raising statement_timeout in its session.
  const base = sequelizeOptions(config, {
    clientMinMessages: 'ignore',
    query_timeout: config.statementTimeoutMs + CLIENT_QUERY_TIMEOUT_MARGIN_MS,
  });
  // Sequelize's replication option would put every replica behind one read pool: each gets its own (lib/keel/db/replica-pools.ts).
  const { replication, ...primaryOptions } = base as typeof base & { replication?: { read: ReplicaServerOptions[] } };
  const options: Options & { keepDefaultTimezone: boolean; databaseVersion: string } = {
    ...primaryOptions,
    timezone: '+00:00',
    // Not in Sequelize's typings (nor is databaseVersion): skips its own SET TIME ZONE round trip on every new connection;
    // the afterConnect hook sets TimeZone together with the other session settings.
    keepDefaultTimezone: true,
    // Skips Sequelize's version probe, an extra connection outside the pool on the first query.
    // 13 is the oldest PostgreSQL keel supports; nothing Sequelize does differs above it.
    databaseVersion: '13.0.0',
    logging: (sql: string, timingMs?: number) => logQuery(logger, config, sql, timingMs),
    benchmark: true,
  };
  const sequelize = new Sequelize(options);
  openConnectionsOutsideRequests(sequelize);
  if (tracer) traceStatements(sequelize, tracer);

  sequelize.addHook('afterConnect', async (connection: unknown) => {
    const client = connection as PgConnection;
    try {
      // Bounded like the connect itself: a server that accepted the connection but went silent
      // must not hold the pool's create call (and the caller waiting on it) forever.
      await client.query({
        text: SESSION_SETUP_SQL,
        values: [config.applicationName, `${config.statementTimeoutMs}ms`, `${config.idleInTransactionTimeoutMs}ms`],
        query_timeout: config.connectTimeoutMs,
      });
    } catch (error) {
      // Sequelize does not close a connection whose afterConnect hook failed: close it here.
      client.connection?.stream.destroy();
      throw new ConnectionError(error instanceof Error ? error : new Error(String(error)));
    }
    logger.debug('database connection opened', { backendPid: client.processID });
    // Sequelize's own listener marks the connection invalid and drops it from the pool, silently. A
    // connection lost while idle (the server restarted, pg_terminate_backend, a proxy reset) is worth a warning.
    const backendPid = client.processID;
    client.on('error', (error) => {
      const level = disconnectsExpected() ? 'debug' : 'warn';
      logger.log(level, 'database connection lost; it is dropped from the pool', { backendPid, code: error.code, reason: error.message });
    });
  });
  sequelize.addHook('afterDisconnect', async (connection: unknown) => {
    // Also called from the pool's idle timer, which the request that last released a connection scheduled.
    outsideAnyRequest(() => logger.debug('database connection closed', { backendPid: (connection as PgConnection).processID }));
  });

  const probe = createProbe(poolAccess(sequelize), { ...config.probe, ...probeOverrides }, logger);
  // The replica probe also reads the replication state; it asks the primary for its WAL position
  // within half the probe's budget, so a busy primary cannot make the replica look slow.
  const inspect = replicaInspection(poolAccess(sequelize), {
    lagWarnMs: config.replicaLagWarnMs,
    primaryWaitMs: config.probe.timeoutMs / 2,
  });
  const replicaSet = createReplicaSet(sequelize, replication?.read ?? [], { ...config.probe, inspect }, logger);
  const { replicas } = replicaSet;
  const onPrimaryAcquire = timeAcquires(sequelize);
  enableDirectReads(sequelize, {
    routing: replicas.length > 0 ? routeReadsToReplicas(sequelize, replicas, logger) : readOnThePrimary,
    logQuery: (sql, durationMs) => logQuery(logger, config, sql, durationMs),
    tracer,
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
    migrations: createMigrationMonitor(sequelize, path.join(projectRoot(), 'db', 'migrations')),
    unitOfWork: tracer
      ? (settings, work, options) => tracer.unitOfWork(() => runUnitOfWork(sequelize, settings, work, options), options?.signal)
      : (settings, work, options) => runUnitOfWork(sequelize, settings, work, options),
    probe,
    replicas,
    onAcquire(listener) {
      onPrimaryAcquire(listener);
      replicaSet.onAcquire(listener);
    },
    close(timeoutMs = 5_000) {
      closing ??= closeWithin(() => Promise.all([sequelize.close(), replicaSet.close()]), sequelize, timeoutMs, logger);
      return closing;
    },
  };
}

/**
 * Slow queries at warn with their duration; every query at silly. The SQL text only in
 * development: with replacements Sequelize inlines values into it. Bound parameters are never
 * logged (Sequelize's logQueryParameters stays off).
 */
function logQuery(logger: Logger, config: ResolvedDatabaseConfig, sql: string, durationMs: number | undefined): void {
  const text = config.logSqlText ? { sql } : {};
  if (durationMs !== undefined && durationMs >= config.slowQueryMs) {
    logger.warn('slow query', { durationMs, thresholdMs: config.slowQueryMs, ...text });
  } else if (logger.isSillyEnabled()) {
    logger.silly('query', { durationMs, ...text });
  }
}

async function closeWithin(closeAll: () => Promise<unknown>, sequelize: Sequelize, timeoutMs: number, logger: Logger): Promise<void> {
  // Sequelize's close() waits for every checked-out connection to come back, which can be never.
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([closeAll().then(() => 'closed' as const), gaveUp]);
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

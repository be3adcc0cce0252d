// The PostgreSQL the bench runs against, a database of its own on it, and the server-side
// counters that count the statements keel executed.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createLogger } from '../config/logger';
import { startEmbeddedDatabase, stopEmbeddedServersNow } from '../db/embedded';
import { runSequelizeCli } from '../db/sequelize-cli';

export interface BenchDatabase {
  /** Where it came from, for the report: "embedded PostgreSQL 18.x" or "BENCH_DATABASE_URL". */
  readonly source: string;
  readonly serverVersion: string;
  /** URL of the dedicated database keel is pointed at, with the migrations applied. */
  readonly url: string;
  readonly name: string;
  /** Counters for the dedicated database, read on a fresh connection to another database. */
  stats(): Promise<DatabaseStats>;
  /** Waits until no backend is connected to the dedicated database (their statistics are then flushed). */
  waitForNoBackends(timeoutMs: number): Promise<boolean>;
  /** Drops the dedicated database and stops the embedded server if one was started. */
  close(): Promise<void>;
}

export interface DatabaseStats {
  /** Transactions committed + rolled back: one per statement outside an explicit transaction. */
  readonly transactions: number;
  /** Sessions established (PostgreSQL 14+; undefined before). */
  readonly sessions: number | undefined;
  readonly backends: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

async function query<T>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: 'keel-bench' });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * BENCH_DATABASE_URL when set, else an embedded PostgreSQL in a temporary directory on a free
 * port; in both cases a new database keel_bench_<random> that is dropped by close(), migrated
 * with the migrations of the project at migrationsOf (by default this one).
 */
export async function openBenchDatabase(benchDatabaseUrl: string | undefined, migrationsOf?: string): Promise<BenchDatabase> {
  let adminUrl: string;
  let source: string;
  let stopServer = async (): Promise<void> => undefined;
  if (benchDatabaseUrl) {
    adminUrl = benchDatabaseUrl;
    source = 'BENCH_DATABASE_URL';
  } else {
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-bench-pg-'));
    // PostgreSQL runs as the unprivileged postgres user when we are root: it must reach the directory.
    await fs.chmod(parent, 0o755);
    process.once('exit', stopEmbeddedServersNow);
    const embedded = await startEmbeddedDatabase({
      dataDir: path.join(parent, 'postgres'),
      port: await freePort(),
      databaseName: 'postgres',
      persistent: false,
      logger: createLogger({ env: 'test', logLevel: 'silent' }),
    });
    adminUrl = embedded.url;
    source = 'embedded PostgreSQL (temporary, autovacuum off)';
    stopServer = async () => {
      await embedded.stop();
      await fs.rm(parent, { recursive: true, force: true });
    };
    // A throwaway server: keep autovacuum workers from adding transactions to the counts.
    await query(adminUrl, 'ALTER SYSTEM SET autovacuum = off');
    await query(adminUrl, 'SELECT pg_reload_conf()');
  }

  const name = `keel_bench_${crypto.randomBytes(6).toString('hex')}`;
  try {
    await query(adminUrl, `CREATE DATABASE ${name}`);
  } catch (error) {
    await stopServer();
    throw error;
  }
  const url = withDatabase(adminUrl, name);
  // As the release phase does before a deploy: the health endpoints may report migration state.
  const migration = await runSequelizeCli(
    'db:migrate',
    {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      DATABASE_SSL: 'off',
      DATABASE_URL: url,
    },
    { cwd: migrationsOf },
  );
  if (migration.code !== 0) {
    await query(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await stopServer();
    throw new Error(`migrating the bench database failed:\n${migration.output}`);
  }
  // Counters are read on a fresh connection (so a fresh statistics snapshot) to the admin database,
  // never to the bench database, so reading them is not counted.
  const statsUrl = adminUrl;
  const [version] = await query<{ v: string }>(statsUrl, "SELECT current_setting('server_version') AS v");

  const stats = async (): Promise<DatabaseStats> => {
    const rows = await query<{ row: Record<string, string | number | null> }>(
      statsUrl,
      // to_jsonb: the sessions column exists only on PostgreSQL 14+.
      `SELECT to_jsonb(d) AS row FROM pg_stat_database d WHERE datname = $1`,
      [name],
    );
    const row = rows[0]?.row ?? {};
    return {
      transactions: Number(row.xact_commit ?? 0) + Number(row.xact_rollback ?? 0),
      sessions: row.sessions === undefined || row.sessions === null ? undefined : Number(row.sessions),
      backends: Number(row.numbackends ?? 0),
    };
  };

  return {
    source,
    serverVersion: version?.v ?? 'unknown',
    url,
    name,
    stats,
    async waitForNoBackends(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [row] = await query<{ n: number }>(statsUrl, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        if (!row?.n) return true;
        if (Date.now() > deadline) return false;
        await sleep(50);
      }
    },
    async close() {
      try {
        await query(statsUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await stopServer();
      }
    },
  };
}

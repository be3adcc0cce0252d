// The PostgreSQL the bench runs against, a database of its own on it, and the server-side
// counters that count the statements keel executed.
import type { ClientConfig } from 'pg';
import { runSequelizeCli } from '../lib/keel/db/sequelize-cli';
import { createDatabase, queryOnce, startTemporaryPostgres, type ScratchDatabase } from '../test/support/database';

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

const CLIENT: Omit<ClientConfig, 'connectionString'> = { connectionTimeoutMillis: 5_000, application_name: 'keel-bench' };
const query = <T extends Record<string, unknown>>(url: string, sql: string, values: unknown[] = []): Promise<T[]> =>
  queryOnce<T>(url, sql, values, CLIENT);

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
    const embedded = await startTemporaryPostgres('keel-bench-pg-');
    adminUrl = embedded.url;
    source = 'embedded PostgreSQL (temporary, autovacuum off)';
    stopServer = () => embedded.stop();
    // A throwaway server: keep autovacuum workers from adding transactions to the counts.
    await query(adminUrl, 'ALTER SYSTEM SET autovacuum = off');
    await query(adminUrl, 'SELECT pg_reload_conf()');
  }

  let database: ScratchDatabase;
  try {
    database = await createDatabase(adminUrl, 'keel_bench');
  } catch (error) {
    await stopServer();
    throw error;
  }
  const { name, url } = database;
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
    await database.drop().catch(() => undefined);
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
        await database.drop();
      } finally {
        await stopServer();
      }
    },
  };
}

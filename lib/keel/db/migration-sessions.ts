import { performance } from 'node:perf_hooks';
import type { LockSession } from './migration-lock';

const RUN_BACKENDS = `FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()`;

/**
 * Cancels what the run's sessions (application_name, on this database) are running, as the unit of work does
 * at its deadline: on the server, from a connection of its own. While this run holds the migration lock no
 * other keel run has such sessions. Returns the backends it reached.
 */
export async function cancelRunStatements(session: LockSession, applicationName: string): Promise<number[]> {
  const { rows } = await session.query<{ pid: number }>(
    `SELECT pid FROM (SELECT pid, pg_cancel_backend(pid) AS sent ${RUN_BACKENDS} AND state = 'active') AS cancelled WHERE sent`,
    [applicationName],
  );
  return rows.map((row) => row.pid);
}

/**
 * Waits until the run's sessions are gone (its CLI has exited, so the server rolls back what each had open);
 * one still there after graceMs is terminated. Returns the backends it had to terminate.
 */
export async function waitForRunSessionsToEnd(session: LockSession, applicationName: string, graceMs: number): Promise<number[]> {
  const deadline = performance.now() + graceMs;
  for (;;) {
    const { rows } = await session.query<{ pid: number }>(`SELECT pid ${RUN_BACKENDS}`, [applicationName]);
    if (rows.length === 0) return [];
    if (performance.now() >= deadline) {
      await session.query(`SELECT pg_terminate_backend(pid) ${RUN_BACKENDS}`, [applicationName]);
      return rows.map((row) => row.pid);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether the step is recorded in its table (SequelizeMeta for migrations, SequelizeData for seeders). */
export async function isRecorded(session: LockSession, table: 'SequelizeMeta' | 'SequelizeData', name: string): Promise<boolean> {
  const { rows } = await session.query<{ exists: string | null }>('SELECT to_regclass($1)::text AS exists', [`"${table}"`]);
  if (!rows[0]?.exists) return false;
  const found = await session.query(`SELECT 1 FROM "${table}" WHERE name IN ($1, $2, $3)`, [name, `${name}.js`, `${name}.cjs`]);
  return found.rows.length > 0;
}

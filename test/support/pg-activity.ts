import { performance } from 'node:perf_hooks';
import { queryOnce, testDatabaseUrl } from './database';

/** Backend pids of keel's connections (application_name keel) to one database, as the server sees them. */
export async function keelBackends(database: string): Promise<number[]> {
  const rows = await queryOnce<{ pid: number }>(
    testDatabaseUrl(),
    "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'keel' ORDER BY pid",
    [database],
  );
  return rows.map((row) => row.pid);
}

/**
 * Polls pg_stat_activity until keel's connections to database satisfy expected; fails after timeoutMs
 * with what it last saw. A backend needs a moment to leave pg_stat_activity once its client went away.
 */
export async function waitForKeelBackends(
  database: string,
  expected: (pids: readonly number[]) => boolean,
  what: string,
  timeoutMs = 3_000,
): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const pids = await keelBackends(database);
    if (expected(pids)) return pids;
    if (performance.now() > deadline)
      throw new Error(`keel backends on ${database} still ${JSON.stringify(pids)} after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

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

export interface BackendActivity {
  /** pg_stat_activity.state: 'active', 'idle', 'idle in transaction', ...; null once the backend is gone. */
  readonly state: string | null;
  readonly query: string | null;
}

/** What one backend is doing, as the server sees it; polls until expected holds, fails after timeoutMs with what it last saw. */
export async function waitForBackend(
  pid: number,
  expected: (activity: BackendActivity) => boolean,
  what: string,
  timeoutMs = 3_000,
): Promise<BackendActivity> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const [row] = await queryOnce<{ state: string | null; query: string | null }>(
      testDatabaseUrl(),
      'SELECT state, query FROM pg_stat_activity WHERE pid = $1',
      [pid],
    );
    const activity: BackendActivity = { state: row?.state ?? null, query: row?.query ?? null };
    if (expected(activity)) return activity;
    if (performance.now() > deadline) throw new Error(`backend ${pid} still ${JSON.stringify(activity)} after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

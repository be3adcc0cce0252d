import { performance } from 'node:perf_hooks';
import { ConnectionError } from 'sequelize';
import type { Database } from '../../lib/keel/db';

/**
 * Opens count connections in database's (primary) pool before the part of a test that is measured.
 * It is setup, not the code under test: tests give keel short connect timeouts (200-300 ms) so that
 * their faults end quickly, and on a busy machine opening a connection (a backend forked, SCRAM on
 * both sides, the session settings) now and then outlasts them. A connection refused for that
 * (a ConnectionError) is retried, for at most timeoutMs. Not for a test whose subject is connecting.
 */
export async function openConnections(database: Database, count = 1, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (database.poolStats().size < count) {
    // Held a moment each (no type: the primary's pool), count statements at once need count connections.
    const outcomes = await Promise.allSettled(Array.from({ length: count }, () => database.sequelize.query('SELECT pg_sleep(0.05)')));
    for (const outcome of outcomes)
      if (outcome.status === 'rejected' && (!(outcome.reason instanceof ConnectionError) || performance.now() > deadline))
        throw outcome.reason;
  }
}

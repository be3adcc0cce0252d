import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { Database } from '../../db';
import { testDatabase } from '../support/app';
import { startStreamingReplication, waitUntil, type StreamingReplication } from '../support/replica';

// A real primary and a real streaming replica of it (test/support/replica.ts), whatever server the
// rest of the suite uses.

const BUDGETS = {
  DB_POOL_MAX: '4',
  DB_CONNECT_TIMEOUT_MS: '1000',
  DB_POOL_ACQUIRE_MS: '2000',
  DB_STATEMENT_TIMEOUT_MS: '5000',
  DB_PROBE_TIMEOUT_MS: '3000',
  DB_PROBE_WARN_MS: '2500',
};

type Outcome = { readonly at: 'primary' | 'replica' } | { readonly failed: string };

/** Where one plain read (outside any transaction) was answered. */
async function read(database: Database): Promise<Outcome> {
  try {
    const [row] = await database.sequelize.query<{ replica: boolean }>('SELECT pg_is_in_recovery() AS replica', {
      type: QueryTypes.SELECT,
    });
    return { at: row?.replica ? 'replica' : 'primary' };
  } catch (error) {
    return { failed: error instanceof Error ? error.message : String(error) };
  }
}

/** Concurrent readers, each reading again as soon as its read is answered, until stopped. */
function steadyReads(database: Database, readers: number): { outcomes: Outcome[]; stop(): Promise<void> } {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: readers }, async () => {
    while (running) outcomes.push(await read(database));
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('a real streaming replica (DATABASE_REPLICA_URLS)', function () {
  this.timeout(90_000);

  let replication: StreamingReplication;
  let database: Database | undefined;

  beforeEach(async () => {
    replication = await startStreamingReplication();
  });

  afterEach(async () => {
    await database?.close();
    database = undefined;
    await replication.stop();
  });

  describe('when the replica is stopped with pg_ctl stop -m immediate under a steady read load', () => {
    it('fails no read: a read that fails on the replica is answered by the primary, and the following reads go there', async () => {
      database = testDatabase({ DATABASE_URL: replication.primaryUrl, DATABASE_REPLICA_URLS: replication.replicaUrl, ...BUDGETS });
      const load = steadyReads(database, 4);
      await waitUntil(async () => load.outcomes.filter((o) => 'at' in o && o.at === 'replica').length >= 50, 'reads reach the replica');

      await replication.stopReplicaImmediately();
      const stoppedAt = load.outcomes.length;
      await waitUntil(async () => load.outcomes.length - stoppedAt >= 400, 'the load has gone on past the stop');
      await load.stop();

      const failed = load.outcomes.filter((o): o is { failed: string } => 'failed' in o);
      const after = load.outcomes.slice(stoppedAt + 4);
      expect(
        failed.map((o) => o.failed),
        'failed reads',
      ).to.deep.equal([]);
      expect(after.length).to.be.at.least(396);
      expect(
        after.every((o) => 'at' in o && o.at === 'primary'),
        'reads that started after the stop',
      ).to.equal(true);
    });
  });
});

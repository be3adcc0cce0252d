import { expect } from 'chai';
import type { Response } from 'supertest';
import { QueryTypes } from 'sequelize';
import type { Database } from '../../lib/keel/db';
import request from 'supertest';
import { selectRows } from '../../lib/keel/db/reads';
import { buildTestApp, testDatabase } from '../support/app';
import { queryOnce } from '../support/database';
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

type Via = 'sequelize.query' | 'selectRows';
type Outcome = { readonly via: Via } & ({ readonly at: 'primary' | 'replica' } | { readonly failed: string });

const IN_RECOVERY = 'SELECT pg_is_in_recovery() AS replica';

/** Where one plain read (outside any transaction) was answered, read through sequelize.query or selectRows (lib/keel/db/reads.ts). */
async function read(database: Database, via: Via): Promise<Outcome> {
  try {
    const [row] =
      via === 'selectRows'
        ? await selectRows<{ replica: boolean }>(database.sequelize, IN_RECOVERY, [])
        : await database.sequelize.query<{ replica: boolean }>(IN_RECOVERY, { type: QueryTypes.SELECT });
    return { via, at: row?.replica ? 'replica' : 'primary' };
  } catch (error) {
    return { via, failed: error instanceof Error ? error.message : String(error) };
  }
}

/** Concurrent readers, each reading again as soon as its read is answered, until stopped; half of them through selectRows. */
function steadyReads(database: Database, readers: number): { outcomes: Outcome[]; stop(): Promise<void> } {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: readers }, async (_, index) => {
    const via: Via = index % 2 === 0 ? 'sequelize.query' : 'selectRows';
    while (running) outcomes.push(await read(database, via));
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
    it('fails no read, through sequelize.query or selectRows: a read that fails on the replica is answered by the primary, and the following reads go there', async () => {
      database = testDatabase({ DATABASE_URL: replication.primaryUrl, DATABASE_REPLICA_URLS: replication.replicaUrl, ...BUDGETS });
      const load = steadyReads(database, 4);
      const onReplica = (via: Via): number => load.outcomes.filter((o) => o.via === via && 'at' in o && o.at === 'replica').length;
      await waitUntil(
        async () => onReplica('sequelize.query') >= 25 && onReplica('selectRows') >= 25,
        'reads of both kinds reach the replica',
      );

      await replication.stopReplicaImmediately();
      const stoppedAt = load.outcomes.length;
      await waitUntil(async () => load.outcomes.length - stoppedAt >= 400, 'the load has gone on past the stop');
      await load.stop();

      const failed = load.outcomes.filter((o): o is Outcome & { failed: string } => 'failed' in o);
      const after = load.outcomes.slice(stoppedAt + 4);
      expect(
        failed.map((o) => `${o.via}: ${o.failed}`),
        'failed reads',
      ).to.deep.equal([]);
      expect(after.length).to.be.at.least(396);
      expect(
        after.every((o) => 'at' in o && o.at === 'primary'),
        'reads that started after the stop',
      ).to.equal(true);
    });
  });

  describe('GET /health/db', () => {
    const openWith = (overrides: Record<string, string>): Database => {
      database = testDatabase({
        DATABASE_URL: replication.primaryUrl,
        DATABASE_REPLICA_URLS: replication.replicaUrl,
        ...BUDGETS,
        DB_PROBE_CACHE_MS: '0',
        ...overrides,
      });
      return database;
    };
    const health = (db: Database): Promise<Response> => request(buildTestApp(db)).get('/health/db');
    const replicaHealthOf = async (db: Database): Promise<Record<string, unknown>> => (await health(db)).body.replicas[0];

    it('reports a replica that has replayed all the primary wrote as 0 ms behind, however long ago the last write was', async () => {
      const db = openWith({ DB_REPLICA_LAG_WARN_MS: '1' });
      await queryOnce(replication.primaryUrl, 'CREATE TABLE keel_test_written (id int)');
      await replication.caughtUp();

      const res = await health(db);

      expect(res.status).to.equal(200);
      expect(res.body.replicas[0]).to.include({ status: 'pass', replication: 'streaming', replayLagMs: 0 });
    });

    it('answers 200 warn with the replica lagging once its replay lag passes DB_REPLICA_LAG_WARN_MS, and pass once it catches up', async () => {
      const db = openWith({ DB_REPLICA_LAG_WARN_MS: '200' });
      await queryOnce(replication.primaryUrl, 'CREATE TABLE keel_test_written (id int)');
      await replication.caughtUp();
      await queryOnce(replication.replicaUrl, 'SELECT pg_wal_replay_pause()');
      await queryOnce(replication.primaryUrl, 'INSERT INTO keel_test_written VALUES (1)');

      let lagging: Response | undefined;
      await waitUntil(async () => {
        lagging = await health(db);
        return lagging.body.replicas[0]?.status !== 'pass';
      }, 'the replica reports its lag');
      await queryOnce(replication.replicaUrl, 'SELECT pg_wal_replay_resume()');
      await replication.caughtUp();
      const caughtUp = await replicaHealthOf(db);

      expect(lagging?.status).to.equal(200);
      expect(lagging?.body.status).to.equal('warn');
      expect(lagging?.body.replicas[0]).to.include({ status: 'warn', code: 'replication_lagging', replication: 'streaming' });
      expect(lagging?.body.replicas[0].replayLagMs).to.be.above(200);
      expect(caughtUp).to.include({ status: 'pass', replayLagMs: 0 });
    });

    it('reports a replica whose WAL receiver stopped as fail (replication_stopped), and sends reads to the primary', async () => {
      const db = openWith({});
      await replication.stopStreaming();

      const res = await health(db);
      const read = await db.sequelize.query<{ replica: boolean }>('SELECT pg_is_in_recovery() AS replica', { type: QueryTypes.SELECT });

      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('warn');
      expect(res.body.replicas[0]).to.include({ status: 'fail', code: 'replication_stopped', replication: 'stopped' });
      expect(read, 'a read after the failed probe').to.deep.equal([{ replica: false }]);
    });

    it('reports a promoted replica (no longer in recovery) as fail (replication_stopped)', async () => {
      const db = openWith({});
      await queryOnce(replication.replicaUrl, 'SELECT pg_promote()');

      const res = await health(db);

      expect(res.body.replicas[0]).to.include({ status: 'fail', code: 'replication_stopped', replication: 'stopped', replayLagMs: null });
    });
  });
});

import { expect } from 'chai';
import request, { type Response } from 'supertest';
import { QueryTypes } from 'sequelize';
import type { Database } from '../../lib/keel/db';
import { selectRows } from '../../lib/keel/db/reads';
import { createLogger } from '../../config/logger';
import { currentRequestFields } from '../../lib/keel/http/request-scope';
import { captureLog } from '../support/log-capture';
import { registerSentinel, scanText } from '../support/sentinels';
import { buildTestApp, testDatabase } from '../support/app';
import { queryOnce } from '../support/database';
import { startStreamingReplication, waitUntil, type StreamingReplication } from '../support/replica';
import { expectNoConnectionDetails } from './fixtures';

// A real primary and two real streaming replicas of it (test/support/replica.ts): each replica has
// its own pool and probe, and reads go round-robin to the ones in service.

const BUDGETS = {
  DB_POOL_MAX: '4',
  DB_CONNECT_TIMEOUT_MS: '1000',
  DB_POOL_ACQUIRE_MS: '2000',
  DB_STATEMENT_TIMEOUT_MS: '8000',
  DB_PROBE_TIMEOUT_MS: '3000',
  DB_PROBE_WARN_MS: '2500',
  DB_PROBE_CACHE_MS: '100',
};

type Via = 'sequelize.query' | 'selectRows';
/** Where one read was answered: the server's port, or why it failed. */
type Outcome = { readonly via: Via } & ({ readonly port: number; readonly replica: boolean } | { readonly failed: string });

const WHERE = 'SELECT inet_server_port() AS port, pg_is_in_recovery() AS replica';

async function read(database: Database, via: Via): Promise<Outcome> {
  try {
    const [row] =
      via === 'selectRows'
        ? await selectRows<{ port: number; replica: boolean }>(database.sequelize, WHERE, [])
        : await database.sequelize.query<{ port: number; replica: boolean }>(WHERE, { type: QueryTypes.SELECT });
    return { via, port: Number(row?.port), replica: row?.replica === true };
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

// The replicas trust every local connection, so a password in their URLs is never asked for: a sentinel
// there must still never reach a body or a log line.
const REPLICA_PASSWORD = 'keel-replica-sentinel-4f1c9a7e2b';
const withPassword = (url: string): string => {
  const parsed = new URL(url);
  parsed.password = REPLICA_PASSWORD;
  return parsed.toString();
};

const portOf = (url: string): number => Number(new URL(url).port);
const serverOf = (url: string): string => `${new URL(url).hostname}:${new URL(url).port}`;
const answeredBy = (outcomes: readonly Outcome[], port: number): number => outcomes.filter((o) => 'port' in o && o.port === port).length;

describe('two streaming replicas, each on its own (DATABASE_REPLICA_URLS)', function () {
  this.timeout(90_000);

  let replication: StreamingReplication;
  let database: Database | undefined;
  let log = captureLog();
  const open = (overrides: Record<string, string> = {}): Database => {
    log = captureLog();
    database = testDatabase(
      {
        DATABASE_URL: replication.primaryUrl,
        DATABASE_REPLICA_URLS: replication.replicaUrls.map(withPassword).join(','),
        ...BUDGETS,
        ...overrides,
      },
      createLogger({ env: 'production', logLevel: 'info' }, log.stream, currentRequestFields),
    );
    return database;
  };
  const health = (db: Database): Promise<Response> => request(buildTestApp(db)).get('/health/db');
  /** Polls GET /health/db until the replica at index reports the status; returns that response. */
  const healthOnceReplica = async (db: Database, index: number, status: string): Promise<Response> => {
    let res: Response | undefined;
    await waitUntil(
      async () => {
        res = await health(db);
        return res.body.replicas?.[index]?.status === status;
      },
      `replica ${index + 1} reports ${status}`,
    );
    return res as Response;
  };

  before(() => registerSentinel(REPLICA_PASSWORD, 'the replicas’ password'));

  beforeEach(async function () {
    this.timeout(90_000);
    replication = await startStreamingReplication({ replicas: 2 });
  });

  afterEach(async () => {
    scanText(await log.text(), 'the log of the test’s database');
    await database?.close();
    database = undefined;
    await replication.stop();
  });

  it('sends reads round-robin to both replicas while both are in service', async () => {
    const db = open();

    const outcomes = [];
    for (let i = 0; i < 6; i += 1) outcomes.push(await read(db, i % 2 === 0 ? 'sequelize.query' : 'selectRows'));

    const [first, second] = replication.replicaUrls.map(portOf) as [number, number];
    expect(outcomes.filter((o) => 'failed' in o)).to.deep.equal([]);
    expect({ first: answeredBy(outcomes, first), second: answeredBy(outcomes, second) }).to.deep.equal({ first: 3, second: 3 });
  });

  describe('when one replica is stopped with pg_ctl stop -m immediate under a steady read load', () => {
    it('fails no read: the other replica serves them, and GET /health/db shows one pass and one fail by host:port, with no credentials', async () => {
      const db = open();
      const [first, second] = replication.replicaUrls.map(portOf) as [number, number];
      const load = steadyReads(db, 4);
      await waitUntil(
        async () => answeredBy(load.outcomes, first) >= 20 && answeredBy(load.outcomes, second) >= 20,
        'reads reach both replicas',
      );

      await replication.stopReplicaImmediately(1);
      const res = await healthOnceReplica(db, 1, 'fail');
      const outAt = load.outcomes.length;
      await waitUntil(async () => load.outcomes.length - outAt >= 200, 'the load has gone on past the replica’s fail');
      await load.stop();

      const failed = load.outcomes.filter((o): o is Outcome & { failed: string } => 'failed' in o);
      // The reads in flight when the health answer came (one per reader) may have started before it.
      const after = load.outcomes.slice(outAt + 4);
      expect(
        failed.map((o) => `${o.via}: ${o.failed}`),
        'failed reads',
      ).to.deep.equal([]);
      expect(after.length, 'reads after the fail was reported').to.be.at.least(196);
      expect(answeredBy(after, first), 'reads the surviving replica answered').to.equal(after.length);
      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('warn');
      expect(res.body.replicas).to.have.length(2);
      expect(res.body.replicas[0]).to.include({ server: serverOf(replication.replicaUrls[0] as string), status: 'pass' });
      expect(res.body.replicas[1]).to.include({
        server: serverOf(replication.replicaUrls[1] as string),
        status: 'fail',
        code: 'database_unavailable',
      });
      for (const url of replication.replicaUrls) expectNoConnectionDetails(res.text, withPassword(url), ['host', 'port']);
      expect(res.text).not.to.match(/postgres(ql)?:\/\//);
    });
  });

  describe('when a replica lags', () => {
    it('takes it out of reads while it lags beyond DB_REPLICA_LAG_WARN_MS, and back once it has caught up', async () => {
      const db = open({ DB_REPLICA_LAG_WARN_MS: '200' });
      const [first, second] = replication.replicaUrls.map(portOf) as [number, number];
      const lagging = replication.replicaUrls[1] as string;
      await queryOnce(replication.primaryUrl, 'CREATE TABLE keel_test_written (id int)');
      await replication.caughtUp();
      await queryOnce(lagging, 'SELECT pg_wal_replay_pause()');
      await queryOnce(replication.primaryUrl, 'INSERT INTO keel_test_written VALUES (1)');

      const lagged = await healthOnceReplica(db, 1, 'warn');
      const whileLagging = [];
      for (let i = 0; i < 10; i += 1) whileLagging.push(await read(db, i % 2 === 0 ? 'sequelize.query' : 'selectRows'));
      await queryOnce(lagging, 'SELECT pg_wal_replay_resume()');
      await replication.caughtUp();
      const recovered = await healthOnceReplica(db, 1, 'pass');
      const afterwards: Outcome[] = [];
      await waitUntil(async () => {
        afterwards.push(await read(db, 'sequelize.query'));
        return answeredBy(afterwards, second) > 0;
      }, 'a read reaches the replica that caught up');

      expect(lagged.body.replicas[1]).to.include({ status: 'warn', code: 'replication_lagging', replication: 'streaming' });
      expect(lagged.body.replicas[1].replayLagMs).to.be.above(200);
      expect(lagged.body.replicas[0]).to.include({ status: 'pass' });
      expect(answeredBy(whileLagging, first), 'reads while the second replica lags').to.equal(10);
      expect(recovered.body.replicas[1]).to.include({ status: 'pass', replayLagMs: 0 });
      expect(afterwards.filter((o) => 'failed' in o)).to.deep.equal([]);
    });
  });

  describe('when a replica cancels a read for a recovery conflict', () => {
    for (const via of ['sequelize.query', 'selectRows'] as const) {
      it(`repeats the read on the primary, once, and it succeeds (${via})`, async () => {
        const db = open();
        for (const url of replication.replicaUrls) {
          // Replay waits for no query: a conflicting one is cancelled at once.
          await queryOnce(url, 'ALTER SYSTEM SET max_standby_streaming_delay = 0');
          await queryOnce(url, 'SELECT pg_reload_conf()');
        }
        await queryOnce(replication.primaryUrl, 'CREATE TABLE keel_test_conflict (id int); INSERT INTO keel_test_conflict VALUES (1)');
        await replication.caughtUp();
        const sql = 'SELECT pg_is_in_recovery() AS replica FROM keel_test_conflict CROSS JOIN pg_sleep(1.5)';

        const reading =
          via === 'selectRows'
            ? selectRows<{ replica: boolean }>(db.sequelize, sql, [])
            : db.sequelize.query<{ replica: boolean }>(sql, { type: QueryTypes.SELECT });
        await waitUntil(async () => {
          for (const url of replication.replicaUrls) {
            const [row] = await queryOnce<{ running: boolean }>(
              url,
              "SELECT count(*) > 0 AS running FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%CROSS JOIN pg_sleep%' AND pid <> pg_backend_pid()",
            );
            if (row?.running) return true;
          }
          return false;
        }, 'the read runs on a replica');
        // Replaying the AccessExclusiveLock conflicts with the read's AccessShareLock on the replica.
        await queryOnce(replication.primaryUrl, 'BEGIN; LOCK TABLE keel_test_conflict IN ACCESS EXCLUSIVE MODE; COMMIT');
        const rows = await reading;

        const retried = await log.waitForEntry(
          (entry) => typeof entry.message === 'string' && entry.message.includes('recovery conflict'),
          'the line that says the read was repeated on the primary',
        );

        expect(rows, 'answered by the primary').to.deep.equal([{ replica: false }]);
        expect(replication.replicaUrls.map(serverOf)).to.include(retried.replica);
        // PostgreSQL's serialization_failure, as it reports a lock conflict with recovery.
        expect(retried.sqlState).to.equal('40001');
      });
    }
  });
});

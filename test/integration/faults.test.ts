// keel's HTTP room first (lib/keel/http): its app.ts loads express-async-errors exactly as the service does.
import '../../lib/keel/http';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import express, { type Express } from 'express';
import { Client } from 'pg';
import { QueryTypes } from 'sequelize';
import request, { type Response } from 'supertest';
import { requestDeadline } from '../../lib/keel/http/middleware/deadline';
import { errorHandler } from '../../lib/keel/http/middleware/error-handler';
import { requestId } from '../../lib/keel/http/middleware/request-id';
import type { Database } from '../../lib/keel/db';
import { CLIENT_QUERY_TIMEOUT_MARGIN_MS } from '../../lib/keel/db';
import { selectRows } from '../../lib/keel/db/reads';
import { buildTestApp, silentLogger, testDatabase } from '../support/app';
import { openConnections } from '../support/connections';
import { createScratchDatabase, type ScratchDatabase } from '../support/database';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { keelBackends, waitForKeelBackends } from '../support/pg-activity';
import { expectSecurityHeaders } from '../support/security-headers';

const PROBLEM_JSON = /^application\/problem\+json; charset=utf-8$/;

/** Short budgets nested as config/env.ts requires: connect < acquire < statement < deadline. */
const BUDGETS = { DB_CONNECT_TIMEOUT_MS: '200', DB_POOL_ACQUIRE_MS: '400', DB_STATEMENT_TIMEOUT_MS: '500', REQUEST_DEADLINE_MS: '2500' };
const STATEMENT_TIMEOUT_MS = 500;
const ACQUIRE_MS = 400;
const DEADLINE_MS = 2_500;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function timed<T extends object>(promise: PromiseLike<T>): Promise<T & { elapsedMs: number }> {
  const started = performance.now();
  const value = await promise;
  return Object.assign(value, { elapsedMs: performance.now() - started });
}

async function until(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(5);
  }
}

/**
 * Requests GET /query SELECT 1 until it answers 200, for at most timeoutMs: a new connection, on a busy
 * machine, can outlast the 200 ms connect timeout. Every answer before is 503 database_unavailable.
 */
async function firstSuccess(app: Express, timeoutMs: number): Promise<Response & { elapsedMs: number }> {
  const started = performance.now();
  for (;;) {
    const res = await request(app).get('/query').query({ sql: 'SELECT 1' });
    const elapsedMs = performance.now() - started;
    if (res.status === 200 || elapsedMs > timeoutMs) return Object.assign(res, { elapsedMs });
    expectProblem(res, 'database_unavailable');
    await sleep(50);
  }
}

/** The two ways a read outside a transaction reaches the pool; each must meet every fault alike. */
interface ReadPath {
  readonly name: string;
  run(database: Database, sql: string): Promise<unknown[]>;
}

const READ_PATHS: readonly ReadPath[] = [
  { name: 'sequelize.query', run: (database, sql) => database.sequelize.query(sql, { type: QueryTypes.SELECT }) },
  {
    name: 'selectRows, which handles its connection itself (lib/keel/db/reads.ts)',
    run: (database, sql) => selectRows(database.sequelize, sql, []),
  },
];
const [SEQUELIZE_QUERY] = READ_PATHS as [ReadPath];

/**
 * What a future route that needs the database looks like, on the real Database and the real error
 * middleware (keel has no such route of its own): GET /query runs the statement in ?sql=, behind
 * the request id and the request deadline, as in createApp, reading through read.
 */
function routeApp(database: Database, read: ReadPath, deadlineMs = DEADLINE_MS): Express {
  const logger = silentLogger();
  const app = express();
  app.use(requestId(logger));
  app.use(requestDeadline(deadlineMs, logger));
  app.get('/query', async (req, res) => {
    const rows = await read.run(database, String(req.query.sql));
    res.json({ rows: rows.length });
  });
  app.use(errorHandler(logger));
  return app;
}

function expectProblem(res: Response, code: string): void {
  expect(res.status, res.text).to.equal(503);
  expect(res.headers['content-type']).to.match(PROBLEM_JSON);
  expect(res.headers['retry-after']).to.equal('1');
  expect(res.body).to.include({ status: 503, code });
  expect(res.body.requestId).to.equal(res.headers['x-request-id']);
}

async function backendPid(database: Database): Promise<number> {
  const [row] = await database.sequelize.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', { type: QueryTypes.SELECT });
  if (!row) throw new Error('pg_backend_pid() returned no row');
  return row.pid;
}

describe('database faults under a request (real Database, real error middleware)', function () {
  this.timeout(20_000);
  let scratch: ScratchDatabase;
  const cleanups: (() => Promise<void>)[] = [];

  function open(overrides: Record<string, string> = {}): Database {
    const database = testDatabase({ DATABASE_URL: scratch.url, ...BUDGETS, ...overrides });
    cleanups.push(() => database.close());
    return database;
  }

  async function proxy(): Promise<FaultProxy> {
    const opened = await startFaultProxy(scratch.url);
    cleanups.push(() => opened.close());
    return opened;
  }

  before(async () => {
    scratch = await createScratchDatabase();
  });

  after(async () => {
    await scratch.drop();
  });

  afterEach(async () => {
    // Last opened, first closed: a Database closes before the proxy in front of its server.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    // No test leaves a keel connection behind on the server.
    await waitForKeelBackends(scratch.name, (pids) => pids.length === 0, 'after the test closed its pool');
  });

  for (const read of READ_PATHS) {
    describe(`reading with ${read.name}`, () => {
      describe('when a statement runs longer than DB_STATEMENT_TIMEOUT_MS', () => {
        it('answers 503 database_timeout once the server cancels it, and the same connection serves the next request', async () => {
          const database = open({ DB_POOL_MAX: '1' });
          const app = routeApp(database, read);
          await openConnections(database, 1);
          const before = await backendPid(database);

          const slow = await timed(request(app).get('/query').query({ sql: 'SELECT pg_sleep(5)' }));
          const next = await request(app).get('/query').query({ sql: 'SELECT 1' });
          const after = await backendPid(database);

          expectProblem(slow, 'database_timeout');
          expect(slow.elapsedMs, 'cancelled at the statement timeout').to.be.within(STATEMENT_TIMEOUT_MS - 50, STATEMENT_TIMEOUT_MS + 700);
          expect(next.status).to.equal(200);
          expect(after, 'the backend serving the pool').to.equal(before);
          expect(database.poolStats()).to.include({ size: 1, using: 0, waiting: 0 });
          expect(await keelBackends(scratch.name)).to.deep.equal([before]);
        });
      });

      describe('when the network to the database goes silent while a query runs (blackhole)', () => {
        it('answers 503 database_timeout at the client backstop, before the deadline, discards the connection and heals once the network is back', async () => {
          const faults = await proxy();
          const database = open({ DATABASE_URL: faults.url, DB_POOL_MAX: '2' });
          const app = routeApp(database, read);
          await openConnections(database, 1);
          const before = await backendPid(database);
          const backstopMs = STATEMENT_TIMEOUT_MS + CLIENT_QUERY_TIMEOUT_MARGIN_MS;

          // The statement is on the wire when the network goes silent: the server's answer never arrives.
          const running = timed(request(app).get('/query').query({ sql: 'SELECT pg_sleep(0.2)' }));
          await until('the query holds a connection', 2_000, () => database.poolStats().using === 1);
          await faults.blackhole();
          // Meanwhile a new connection cannot be opened: that request gives up at the connect timeout.
          const meanwhile = await timed(request(app).get('/query').query({ sql: 'SELECT 1' }));
          const stuck = await running;

          await faults.pass();
          const healed = await firstSuccess(app, 2_000);
          const after = await backendPid(database);

          expectProblem(stuck, 'database_timeout');
          expect(stuck.elapsedMs, 'the client gave up at statement timeout + margin').to.be.within(backstopMs - 50, backstopMs + 700);
          expect(stuck.elapsedMs, 'before the request deadline').to.be.below(DEADLINE_MS);
          expectProblem(meanwhile, 'database_unavailable');
          expect(meanwhile.elapsedMs, 'within the acquire timeout').to.be.below(ACQUIRE_MS + 600);
          expect(healed.status, healed.text).to.equal(200);
          expect(healed.elapsedMs, 'healed within 2 s of the network coming back').to.be.below(2_000);
          // The timed-out connection was marked invalid (by Sequelize or lib/keel/db/reads.ts): the pool destroyed it, not reused it.
          expect(after, 'a new connection').not.to.equal(before);
          expect(database.poolStats()).to.include({ using: 0, waiting: 0 });
          // The abandoned backend leaves once the network lets its connection close; every other one is pooled.
          // (sequelize-pool may open a spare while it replaces the destroyed connection: still within DB_POOL_MAX.)
          await waitForKeelBackends(
            scratch.name,
            (pids) => !pids.includes(before) && pids.includes(after) && pids.length === database.poolStats().size,
            'the discarded backend is gone and no other is unaccounted for',
          );
          expect(database.poolStats().size).to.be.at.most(2);
        });
      });

      describe('when the database goes away (open connections reset, new ones refused) and comes back', () => {
        it('answers 503 problem+json database_unavailable at once while it is gone, and 200 within 2 s of its return', async () => {
          const faults = await proxy();
          const database = open({ DATABASE_URL: faults.url, DB_POOL_MAX: '2' });
          const app = routeApp(database, read);
          await openConnections(database, 1);
          const before = await backendPid(database);

          faults.resetAll();
          await faults.refuse();
          const gone = await Promise.all([1, 2, 3].map(() => timed(request(app).get('/query').query({ sql: 'SELECT 1' }))));
          await faults.pass();
          const back = performance.now();
          let recovered = await request(app).get('/query').query({ sql: 'SELECT 1' });
          while (recovered.status !== 200 && performance.now() - back < 2_000) {
            await sleep(50);
            recovered = await request(app).get('/query').query({ sql: 'SELECT 1' });
          }
          const recoveryMs = performance.now() - back;

          for (const res of gone) {
            expectProblem(res, 'database_unavailable');
            expect(res.elapsedMs, 'refused at once, not at a timeout').to.be.below(ACQUIRE_MS);
          }
          expect(recovered.status, recovered.text).to.equal(200);
          expect(recoveryMs).to.be.below(2_000);
          expect(await backendPid(database), 'a new connection').not.to.equal(before);
          expect(database.poolStats()).to.include({ using: 0, waiting: 0 });
          await waitForKeelBackends(
            scratch.name,
            (pids) => !pids.includes(before) && pids.length === database.poolStats().size,
            'the reset backend is gone and every other one is pooled',
          );
        });
      });

      describe('when every pooled connection is busy with a slow query (DB_POOL_MAX 2)', () => {
        it('answers the overflow 503 database_pool_exhausted within the acquire timeout while /health stays fast, then recovers', async () => {
          const database = open({ DB_POOL_MAX: '2', DB_STATEMENT_TIMEOUT_MS: '3000', REQUEST_DEADLINE_MS: '5000' });
          const app = routeApp(database, read, 5_000);
          const service = buildTestApp(database, { config: { DB_PROBE_CACHE_MS: '0' } });
          // Warm: the first response of a run also compiles the contract's validators (test/support/contract.ts).
          await request(service).get('/health');
          await openConnections(database, 2);

          const slow = [1, 2].map(() =>
            request(app)
              .get('/query')
              .query({ sql: 'SELECT pg_sleep(1)' })
              .then((res) => res),
          );
          await until('both connections are busy', 3_000, () => database.poolStats().using === 2);
          const [overflow, live, probe] = await Promise.all([
            timed(request(app).get('/query').query({ sql: 'SELECT 1' })),
            timed(request(service).get('/health')),
            timed(request(service).get('/health/db')),
          ]);
          const finished = await Promise.all(slow);
          const after = await request(app).get('/query').query({ sql: 'SELECT 1' });

          expectProblem(overflow, 'database_pool_exhausted');
          expect(overflow.elapsedMs, 'at the acquire timeout').to.be.within(ACQUIRE_MS - 50, ACQUIRE_MS + 600);
          expect(live.status).to.equal(200);
          expect(live.elapsedMs, '/health does not wait for the pool (the acquire timeout)').to.be.below(ACQUIRE_MS - 50);
          expectSecurityHeaders(live.headers);
          expect(probe.status).to.equal(503);
          expect(probe.body).to.include({ status: 'fail', code: 'database_pool_exhausted' });
          expect(probe.elapsedMs, 'the probe gives up at the acquire timeout too').to.be.below(ACQUIRE_MS + 600);
          expectSecurityHeaders(probe.headers);
          expect(finished.map((res) => res.status)).to.deep.equal([200, 200]);
          expect(after.status).to.equal(200);
          expect(database.poolStats()).to.include({ using: 0, waiting: 0 });
          const backends = await keelBackends(scratch.name);
          expect(backends, 'one backend per pooled connection').to.have.lengthOf(database.poolStats().size);
          expect(backends.length).to.be.at.most(2);
        });
      });
    });
  }

  describe('when a statement waits on a LOCK TABLE held by another session', () => {
    it('answers 503 database_timeout at the statement timeout, and serves the table once the lock is released', async () => {
      const database = open({ DB_POOL_MAX: '1' });
      const app = routeApp(database, SEQUELIZE_QUERY);
      await openConnections(database, 1);
      const before = await backendPid(database);
      const holder = new Client({ connectionString: scratch.url });
      await holder.connect();
      cleanups.push(() => holder.end());
      await holder.query('CREATE TABLE IF NOT EXISTS keel_test_locked (id int)');
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE keel_test_locked IN ACCESS EXCLUSIVE MODE');

      const blocked = await timed(request(app).get('/query').query({ sql: 'SELECT * FROM keel_test_locked' }));
      await holder.query('COMMIT');
      const released = await request(app).get('/query').query({ sql: 'SELECT * FROM keel_test_locked' });

      expectProblem(blocked, 'database_timeout');
      expect(blocked.elapsedMs, 'cancelled at the statement timeout').to.be.within(STATEMENT_TIMEOUT_MS - 50, STATEMENT_TIMEOUT_MS + 700);
      expect(released.status, released.text).to.equal(200);
      expect(await backendPid(database), 'the same connection, reused').to.equal(before);
      expect(database.poolStats()).to.include({ size: 1, using: 0, waiting: 0 });
    });
  });

  describe('when the health probe meets a silent network for longer than the client backstop', () => {
    it('fails with database_timeout, destroys the probe connection instead of pooling it, and passes once the network is back', async () => {
      const faults = await proxy();
      // Probe timeout above statement timeout + margin: the client backstop is what ends the probe query.
      const database = open({
        DATABASE_URL: faults.url,
        DB_POOL_MAX: '1',
        DB_STATEMENT_TIMEOUT_MS: '500',
        DB_PROBE_TIMEOUT_MS: '4000',
        DB_PROBE_CACHE_MS: '0',
      });
      await openConnections(database, 1);
      expect((await database.probe.check()).status, 'the probe before the silence').to.be.oneOf(['pass', 'warn']);
      await faults.blackhole();

      const failed = await timed(database.probe.check());
      await until('the probe connection is discarded', 2_000, () => database.poolStats().size === 0);
      await faults.pass();
      // The probe opens a new connection, which on a busy machine can outlast the 200 ms connect timeout.
      let passed = await database.probe.check();
      const back = performance.now();
      while (passed.fault?.code === 'database_unavailable' && performance.now() - back < 2_000) {
        await sleep(50);
        passed = await database.probe.check();
      }

      expect(failed.status).to.equal('fail');
      expect(failed.fault?.code).to.equal('database_timeout');
      expect(failed.elapsedMs, 'ended by the backstop, not the 4 s probe timeout').to.be.below(500 + CLIENT_QUERY_TIMEOUT_MARGIN_MS + 700);
      expect(passed.status, `once the network is back (fault: ${passed.fault?.code ?? 'none'})`).to.be.oneOf(['pass', 'warn']);
      expect(database.poolStats()).to.include({ size: 1, using: 0, waiting: 0 });
    });
  });
});

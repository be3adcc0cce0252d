import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import http from 'node:http';
import request from 'supertest';
import type { Database } from '../../lib/keel/db';
import { testDatabase } from '../support/app';
import { slowApp } from '../support/slow-app';
import { createScratchDatabase, type ScratchDatabase } from '../support/database';
import { listenOnLoopback } from '../support/http';
import { startPgBouncer } from '../support/pgbouncer';

const DEADLINE_MS = 4_000;

/**
 * keel behind a real PgBouncer (transaction pooling, docs/operations.md#running-behind-pgbouncer): more
 * callers than server connections queue in PgBouncer instead of being refused, and keel's own bounds end
 * the wait. `npm run test:pgbouncer`; .ci/run installs Debian's pgbouncer for it.
 */
describe('more callers than the database has connections for, behind PgBouncer', function () {
  this.timeout(60_000);
  let scratch: ScratchDatabase;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    scratch = await createScratchDatabase();
  });

  after(async () => {
    await scratch.drop();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function open(url: string, overrides: Record<string, string>): Database {
    const database = testDatabase({ DATABASE_URL: url, ...overrides });
    cleanups.push(() => database.close());
    return database;
  }

  it('through PgBouncer in transaction mode, where requests queue for its 2 server connections: 200s, then 503 problems at the timeout, never a 500', async () => {
    const bouncer = await startPgBouncer(scratch.url, 2);
    cleanups.push(() => bouncer.close());
    const budgets = {
      DB_CONNECT_TIMEOUT_MS: '1000',
      DB_POOL_ACQUIRE_MS: '1500',
      DB_STATEMENT_TIMEOUT_MS: '2000',
      REQUEST_DEADLINE_MS: '4000',
    };
    const app = slowApp(open(bouncer.url, { ...budgets, DB_POOL_MAX: '24' }), 0.5, DEADLINE_MS);

    const server = http.createServer(app);
    const port = await listenOnLoopback(server);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));

    // 24 requests of 0.5 s through 2 server connections: 6 s of queueing, twice the client-side timeout (2 s + 1 s),
    // so requests are still queued at it however the arrivals spread on a busy machine. All sent at once, on one server.
    const answers = await Promise.all(
      Array.from({ length: 24 }, async () => {
        const started = performance.now();
        const res = await request(`http://127.0.0.1:${port}`).get('/slow');
        return { status: res.status, code: (res.body as { code?: string }).code, elapsedMs: performance.now() - started };
      }),
    );

    const problems = answers.filter((answer) => answer.status !== 200);
    expect(answers.filter((answer) => answer.status === 200).length, JSON.stringify(answers)).to.be.above(0);
    expect(problems.length, 'the ones still queued at the timeout').to.be.above(0);
    for (const problem of problems) {
      expect(problem.status, JSON.stringify(answers)).to.equal(503);
      // A query still queued at the client-side timeout: database_timeout. A new connection's session setup
      // (a query too, lib/keel/db/index.ts) queues as well, and one still queued at the connect timeout is
      // database_unavailable.
      expect(['database_timeout', 'database_unavailable', 'request_timeout'], JSON.stringify(answers)).to.include(problem.code);
    }
    // The client-side backstop (statement timeout + 1 s) ends a query still queued in PgBouncer: nothing waits past the deadline.
    expect(Math.max(...answers.map((answer) => answer.elapsedMs))).to.be.below(DEADLINE_MS + 2_000);
  });
});

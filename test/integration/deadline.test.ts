// keel's HTTP room first (lib/keel/http): its app.ts loads express-async-errors exactly as the service does.
import '../../lib/keel/http';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { ClientGoneError, requestDeadline } from '../../lib/keel/http/middleware/deadline';
import { HttpError } from '../../lib/keel/http/errors';
import { errorHandler } from '../../lib/keel/http/middleware/error-handler';
import { requestId } from '../../lib/keel/http/middleware/request-id';
import { createLogger } from '../../config/logger';
import { createDatabase, type Database } from '../../lib/keel/db';
import { buildTestApp, silentLogger, testConfig, testDatabase } from '../support/app';
import { openConnections } from '../support/connections';
import { createScratchDatabase, queryOnce, testDatabaseUrl, type ScratchDatabase } from '../support/database';
import { waitForBackend } from '../support/pg-activity';
import { captureLog, type LogCapture } from '../support/log-capture';

const PROBLEM_JSON = /^application\/problem\+json; charset=utf-8$/;
const DEADLINE_MS = 300;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Harness {
  readonly app: Express;
  readonly log: LogCapture;
  /** Errors that got past errorHandler to whatever Express would do next. */
  readonly escaped: unknown[];
  /** Settles once the slow handler has tried to answer, with what that attempt threw (undefined if nothing). */
  readonly lateAnswer: Promise<unknown>;
}

/** requestId → requestDeadline → a slow route and a fast route → errorHandler → a recorder of escaped errors. */
function harness(): Harness {
  const log = captureLog();
  const logger = createLogger({ env: 'production', logLevel: 'debug' }, log.stream);
  const escaped: unknown[] = [];
  let settleLate: (thrown: unknown) => void = () => undefined;
  const lateAnswer = new Promise<unknown>((resolve) => {
    settleLate = resolve;
  });
  const app = express();
  app.set('env', 'test');
  app.use(requestId(logger));
  app.use(requestDeadline(DEADLINE_MS, logger));
  app.all('/slow', async (_req, res) => {
    await sleep(2 * DEADLINE_MS);
    try {
      res.json({ answered: 'late' });
    } catch (error) {
      settleLate(error);
      throw error;
    }
    settleLate(undefined);
  });
  app.get('/fast', (_req, res) => {
    res.json({ answered: 'fast' });
  });
  app.use(errorHandler(logger));
  const recordEscaped: ErrorRequestHandler = (error, _req, _res, next) => {
    escaped.push(error);
    next(error);
  };
  app.use(recordEscaped);
  return { app, log, escaped, lateAnswer };
}

/** Polls the captured log until an entry matches, or fails after timeoutMs. */
async function logEntry(
  log: LogCapture,
  matches: (entry: Record<string, unknown>) => boolean,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = (await log.entries()).find(matches);
    if (found) return found;
    if (performance.now() > deadline)
      throw new Error(`no matching log entry within ${timeoutMs} ms: ${JSON.stringify(await log.entries())}`);
    await sleep(10);
  }
}

/** Serves app on a real socket and sends GET path after delayMs for each request, all at once; status and time of each. */
async function timedOnServer(
  app: Express,
  requests: readonly (readonly [string, number])[],
): Promise<{ status: number; elapsedMs: number }[]> {
  const server = http.createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    return await Promise.all(
      requests.map(async ([path, delayMs]) => {
        await sleep(delayMs);
        const started = performance.now();
        const res = await request(server).get(path);
        return { status: res.status, elapsedMs: performance.now() - started };
      }),
    );
  } finally {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
}

/** Sends one raw keep-alive request and collects every byte the server writes until waitMs passes. */
async function rawExchange(port: number, path: string, waitMs: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.on('error', () => undefined);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  await sleep(waitMs);
  socket.destroy();
  return received;
}

describe('requestDeadline', () => {
  describe('when a handler is still working at the deadline', () => {
    it('answers 503 problem+json request_timeout with Retry-After at about the deadline', async () => {
      const { app, lateAnswer } = harness();

      const started = performance.now();
      const res = await request(app).get('/slow');
      const elapsedMs = performance.now() - started;
      await lateAnswer;

      expect(res.status).to.equal(503);
      expect(res.headers['content-type']).to.match(PROBLEM_JSON);
      expect(res.headers['retry-after']).to.equal('1');
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.body).to.include({ status: 503, code: 'request_timeout' });
      expect(res.body.requestId).to.equal(res.headers['x-request-id']);
      expect(elapsedMs, 'not before the deadline').to.be.at.least(DEADLINE_MS - 5);
      expect(elapsedMs, 'a hang guard').to.be.below(DEADLINE_MS + 1_500);
    });

    for (const method of ['post', 'patch'] as const) {
      it(`answers a ${method.toUpperCase()} (not idempotent) without Retry-After, saying the outcome is unknown`, async () => {
        const { app, lateAnswer } = harness();

        const res = await request(app)[method]('/slow');
        await lateAnswer;

        expect(res.status).to.equal(503);
        expect(res.body).to.include({ status: 503, code: 'request_timeout' });
        expect(res.headers, 'no invitation to retry').not.to.have.property('retry-after');
        expect(res.body.detail).to.include('rolled back').and.include('Check whether it took effect');
      });
    }

    for (const method of ['put', 'delete'] as const) {
      it(`answers a ${method.toUpperCase()} (idempotent, RFC 9110 §9.2.2) with Retry-After`, async () => {
        const { app, lateAnswer } = harness();

        const res = await request(app)[method]('/slow');
        await lateAnswer;

        expect(res.status).to.equal(503);
        expect(res.headers['retry-after']).to.equal('1');
        expect(res.body.detail).to.equal('The request took too long and was abandoned.');
      });
    }

    it('drops the late answer of the handler: debug log, nothing passed on to Express, no second response', async () => {
      const { app, log, escaped, lateAnswer } = harness();
      const server = http.createServer(app);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        const { port } = server.address() as net.AddressInfo;

        // Long enough for the 503 at 300 ms, the late answer at 600 ms and anything it might write.
        const received = await rawExchange(port, '/slow', 3 * DEADLINE_MS);
        const thrown = await lateAnswer;
        const dropped = await logEntry(log, (entry) => entry.message === 'error after the response was sent', 1_000);

        expect(received.match(/HTTP\/1\.1 \d{3}/g), 'status lines on the connection').to.deep.equal(['HTTP/1.1 503']);
        expect(received).to.include('request_timeout');
        expect(received, 'the late body').not.to.include('"answered"');
        expect(thrown, 'the late res.json was refused').to.be.instanceOf(Error);
        expect(dropped.level).to.equal('debug');
        expect(dropped.requestId, 'logged with the request id').to.be.a('string').and.not.equal('');
        expect(escaped, 'errors passed on past errorHandler').to.deep.equal([]);
        expect(unhandled, 'unhandled rejections').to.deep.equal([]);
        expect(
          (await log.entries()).filter((entry) => entry.level === 'error'),
          'error-level log entries',
        ).to.deep.equal([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
        server.closeAllConnections();
        server.close();
        await once(server, 'close');
      }
    });

    it('gives every request its own deadline, counted from its arrival, when several are in flight', async () => {
      // Arrivals spread over half a deadline: an early one is overdue while the later ones are not.
      const results = await timedOnServer(
        harness().app,
        [0, DEADLINE_MS / 4, DEADLINE_MS / 2].map((delayMs) => ['/slow', delayMs]),
      );

      for (const [index, result] of results.entries()) {
        expect(result.status, `request ${index}`).to.equal(503);
        expect(result.elapsedMs, `request ${index}: not before its own deadline`).to.be.at.least(DEADLINE_MS - 5);
        expect(result.elapsedMs, `request ${index}: a hang guard`).to.be.below(DEADLINE_MS + 1_500);
      }
    });

    it('still answers the requests around one that was answered in time, each at its own deadline', async () => {
      // The answered one leaves the middle of the requests in flight; the two around it must still be swept.
      const [first, middle, last] = await timedOnServer(harness().app, [
        ['/slow', 0],
        ['/fast', 20],
        ['/slow', 40],
      ]);

      expect([first?.status, middle?.status, last?.status]).to.deep.equal([503, 200, 503]);
      for (const result of [first, last]) {
        expect(result?.elapsedMs, 'not before its own deadline').to.be.at.least(DEADLINE_MS - 5);
        expect(result?.elapsedMs, 'a hang guard').to.be.below(DEADLINE_MS + 1_500);
      }
    });

    it('logs the timeout as a dependency problem (warn) with code request_timeout', async () => {
      const { app, log, lateAnswer } = harness();

      await request(app).get('/slow');
      await lateAnswer;

      const entry = await logEntry(log, (candidate) => candidate.code === 'request_timeout', 1_000);
      expect(entry.level).to.equal('warn');
    });
  });

  describe('when a handler answers in time', () => {
    it('leaves the response alone and never sends the timeout afterwards', async () => {
      const { app, log, escaped } = harness();

      const res = await request(app).get('/fast');
      await sleep(DEADLINE_MS + 200);

      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ answered: 'fast' });
      expect(
        (await log.entries()).filter((entry) => entry.code === 'request_timeout'),
        'timeout log entries',
      ).to.deep.equal([]);
      expect(escaped).to.deep.equal([]);
    });
  });
});

describe('REQUEST_DEADLINE_MS in createApp', () => {
  let database: Database;

  beforeEach(() => {
    // The database side: a probe that sleeps 3 s, bounded only by a 5 s probe timeout.
    const config = testConfig({ DB_PROBE_TIMEOUT_MS: '5000' });
    database = createDatabase({ ...config.database, url: config.database.url ?? testDatabaseUrl() }, silentLogger(), {
      statement: 'SELECT pg_sleep(3)',
    });
  });

  afterEach(async () => {
    await database.close();
  });

  it('answers GET /health/db with 503 request_timeout at about the configured deadline while the probe is still running', async () => {
    const deadlineMs = 1_000;
    // Budgets that nest below a 1 s deadline: connect < acquire < statement < deadline.
    const app = buildTestApp(database, {
      config: {
        REQUEST_DEADLINE_MS: String(deadlineMs),
        DB_STATEMENT_TIMEOUT_MS: '800',
        DB_POOL_ACQUIRE_MS: '400',
        DB_CONNECT_TIMEOUT_MS: '200',
      },
    });

    const started = performance.now();
    const res = await request(app).get('/health/db');
    const elapsedMs = performance.now() - started;

    expect(res.status).to.equal(503);
    expect(res.headers['content-type']).to.match(PROBLEM_JSON);
    expect(res.headers['retry-after']).to.equal('1');
    expect(res.body).to.include({ status: 503, code: 'request_timeout' });
    expect(elapsedMs, 'not before the deadline').to.be.at.least(deadlineMs - 5);
    expect(elapsedMs, 'a hang guard, below the 3 s probe').to.be.below(2_500);
  });
});

/** What the unit of work of POST /notes did, seen from inside it. */
interface WorkProbe {
  /** The backend of its transaction, once the row is inserted. */
  readonly started: Promise<number>;
  /** How the unit of work ended: what it returned or threw. */
  readonly settled: Promise<{ readonly error: unknown }>;
  /** What its running statement failed with, if it did. */
  statementError(): unknown;
}

/**
 * requestId → requestDeadline → POST /notes → errorHandler. The route's unit of work, given the request's
 * signal, inserts a row then runs 0.7 s statements (each below the statement timeout) for 7 s: a 1 s
 * deadline lands in the middle of the second one, hundreds of milliseconds from either end.
 */
function notesApp(database: Database, deadlineMs: number, logger = silentLogger()): { app: Express; work: WorkProbe } {
  let markStarted: (pid: number) => void = () => undefined;
  let markSettled: (outcome: { error: unknown }) => void = () => undefined;
  let statementError: unknown;
  const work: WorkProbe = {
    started: new Promise((resolve) => {
      markStarted = resolve;
    }),
    settled: new Promise((resolve) => {
      markSettled = resolve;
    }),
    statementError: () => statementError,
  };
  const app = express();
  app.use(requestId(logger));
  app.use(requestDeadline(deadlineMs, logger));
  app.post('/notes', async (_req, res) => {
    const unitOfWork = database.unitOfWork(
      { user_id: '42' },
      async () => {
        await database.sequelize.query("INSERT INTO keel_test_notes (body) VALUES ('once')");
        const [row] = await database.sequelize.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', { type: QueryTypes.SELECT });
        markStarted(row?.pid ?? -1);
        for (let turn = 0; turn < 10; turn += 1) {
          try {
            await database.sequelize.query('SELECT pg_sleep(0.7)');
          } catch (error) {
            statementError = error;
            throw error;
          }
        }
      },
      { signal: res.locals.signal },
    );
    unitOfWork.then(
      () => markSettled({ error: undefined }),
      (error: unknown) => markSettled({ error }),
    );
    await unitOfWork;
    res.status(201).json({ created: true });
  });
  app.use(errorHandler(logger));
  return { app, work };
}

describe('a unit of work given res.locals.signal, on a real PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let database: Database;

  beforeEach(async () => {
    scratch = await createScratchDatabase();
    await queryOnce(scratch.url, 'CREATE TABLE keel_test_notes (id serial PRIMARY KEY, body text NOT NULL)');
    // The nested budgets of a 1 s deadline: connect < acquire < statement < deadline.
    database = testDatabase({
      DATABASE_URL: scratch.url,
      REQUEST_DEADLINE_MS: '1000',
      DB_STATEMENT_TIMEOUT_MS: '900',
      DB_POOL_ACQUIRE_MS: '600',
      DB_CONNECT_TIMEOUT_MS: '300',
      DB_POOL_MAX: '2',
    });
  });

  afterEach(async () => {
    await database.close();
    await scratch.drop();
  });

  const committedRows = async (): Promise<number> => {
    const [row] = await queryOnce<{ n: string }>(scratch.url, 'SELECT count(*)::text AS n FROM keel_test_notes');
    return Number(row?.n);
  };

  it('answers POST 503 at the deadline, cancels the running statement on the server and commits nothing', async () => {
    const { app, work } = notesApp(database, 1_000);
    await openConnections(database);

    const res = await request(app).post('/notes');
    const pid = await work.started;
    // Without the cancel, the backend would keep sleeping in its transaction for 6 s more, then commit.
    const after = await waitForBackend(pid, (activity) => activity.state === 'idle', 'the transaction should have ended at the deadline');
    const { error } = await work.settled;

    expect(res.status).to.equal(503);
    expect(res.body).to.include({ code: 'request_timeout' });
    expect(res.headers, 'a POST is not invited to retry').not.to.have.property('retry-after');
    expect(after.query, 'the last statement of the backend').to.equal('ROLLBACK;');
    expect(String(work.statementError()), 'the sleeping statement').to.include('canceling statement due to user request');
    expect(error, 'the unit of work rejects with the deadline answer').to.be.instanceOf(HttpError).and.include({ code: 'request_timeout' });
    expect(await committedRows(), 'rows committed').to.equal(0);
  });

  it('rolls back the work of a client that disconnects in the middle, cancelling its statement', async () => {
    const log = captureLog();
    const { app, work } = notesApp(database, 20_000, createLogger({ env: 'production', logLevel: 'debug' }, log.stream));
    await openConnections(database);
    const server = http.createServer(app);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as net.AddressInfo;
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      socket.write('POST /notes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n');

      const pid = await work.started;
      // Gone while the sleep runs on the server: that statement is cancelled there (a later one would be refused unsent).
      await waitForBackend(
        pid,
        (activity) => activity.state === 'active' && activity.query === 'SELECT pg_sleep(0.7)',
        'the sleep should run',
      );
      socket.destroy();
      await waitForBackend(pid, (activity) => activity.state === 'idle', 'the transaction should have ended when the client left');
      const { error } = await work.settled;

      expect(String(work.statementError()), 'the sleeping statement').to.include('canceling statement due to user request');
      expect(error, 'the unit of work rejects with the reason').to.be.instanceOf(ClientGoneError);
      await logEntry(log, (entry) => entry.message === 'error after the client went away', 1_000);
      expect(
        (await log.entries()).filter((entry) => entry.level === 'error' || entry.level === 'warn'),
        'a client that left is no fault of ours',
      ).to.deep.equal([]);
      expect(await committedRows(), 'rows committed').to.equal(0);
    } finally {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    }
  });
});

// The product's app module first: it loads express-async-errors exactly as the service does.
import '../../app';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import express, { type ErrorRequestHandler, type Express } from 'express';
import request from 'supertest';
import { requestDeadline } from '../../app/middleware/deadline';
import { errorHandler } from '../../app/middleware/error-handler';
import { requestId } from '../../app/middleware/request-id';
import { createLogger } from '../../config/logger';
import { createDatabase, type Database } from '../../db';
import { buildTestApp, silentLogger, testConfig } from '../support/app';
import { testDatabaseUrl } from '../support/database';
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
  app.get('/slow', async (_req, res) => {
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
      const { app } = harness();
      const server = http.createServer(app);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const timed = async (delayMs: number): Promise<{ status: number; elapsedMs: number }> => {
          await sleep(delayMs);
          const started = performance.now();
          const res = await request(server).get('/slow');
          return { status: res.status, elapsedMs: performance.now() - started };
        };
        // Arrivals spread over half a deadline: an early one is overdue while the later ones are not.
        const results = await Promise.all([0, DEADLINE_MS / 4, DEADLINE_MS / 2].map(timed));

        for (const [index, result] of results.entries()) {
          expect(result.status, `request ${index}`).to.equal(503);
          expect(result.elapsedMs, `request ${index}: not before its own deadline`).to.be.at.least(DEADLINE_MS - 5);
          expect(result.elapsedMs, `request ${index}: a hang guard`).to.be.below(DEADLINE_MS + 1_500);
        }
      } finally {
        server.closeAllConnections();
        server.close();
        await once(server, 'close');
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

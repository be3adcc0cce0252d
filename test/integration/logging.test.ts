import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../lib/keel/http';
import { currentRequestFields } from '../../lib/keel/http/request-scope';
import { createLogger, type Logger } from '../../config/logger';
import { readPackageInfo } from '../../config/project';
import { createDatabase, type Database } from '../../lib/keel/db';
import { contractChecked, servingLifecycle, testConfig, SERVICE } from '../support/app';
import { queryOnce, testDatabaseUrl } from '../support/database';
import { captureLog, type LogCapture } from '../support/log-capture';

/** A logger as bin/www builds it (request id from the request scope), writing JSON to a capture. */
function capturingLogger(capture: LogCapture, level: 'debug' | 'silly' = 'debug'): Logger {
  return createLogger({ env: 'production', logLevel: level }, capture.stream, currentRequestFields);
}

function databaseWith(logger: Logger, overrides: Record<string, string> = {}): Database {
  const config = testConfig(overrides);
  return createDatabase({ ...config.database, url: config.database.url as string }, logger);
}

function appWith(database: Database, logger: Logger): ReturnType<typeof createApp> {
  return contractChecked(
    createApp({ ...SERVICE, config: testConfig(), logger, database, lifecycle: servingLifecycle(), version: readPackageInfo().version }),
  );
}

describe('logging while serving a request', () => {
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it('carries the request id on every line, including those written by the database layer', async () => {
    const capture = captureLog();
    const logger = capturingLogger(capture);
    database = databaseWith(logger);

    await request(appWith(database, logger)).get('/health/db').set('X-Request-Id', 'req-logging-1');

    const entries = await capture.entries();
    const opened = entries.find((entry) => entry.message === 'database connection opened');
    const access = entries.find((entry) => entry.message === 'request');
    expect(opened, 'the database layer logged the new connection').to.not.equal(undefined);
    expect(opened?.requestId).to.equal('req-logging-1');
    expect(access?.requestId).to.equal('req-logging-1');
  });

  it('writes one access line per request with method, route template, status and duration; pings at debug', async () => {
    const capture = captureLog();
    const logger = capturingLogger(capture);
    database = databaseWith(logger);
    const app = appWith(database, logger);

    await request(app).get('/health?secret=abc');
    await request(app).get('/missing/42');

    const access = (await capture.entries()).filter((entry) => entry.message === 'request');
    expect(access).to.have.length(2);
    expect(access[0]).to.include({ method: 'GET', route: '/health', status: 200, level: 'debug' });
    expect(access[1]).to.include({ method: 'GET', route: 'unmatched', status: 404, level: 'info' });
    for (const entry of access) {
      expect(entry.durationMs).to.be.a('number');
      expect(entry.requestId).to.be.a('string');
      expect(JSON.stringify(entry), 'no raw URL or query string').not.to.match(/secret=abc|\/missing\/42/);
    }
  });

  it('tags no line with the id of the request that opened a connection when that connection is lost later', async () => {
    const capture = captureLog();
    const logger = capturingLogger(capture);
    database = databaseWith(logger);

    await request(appWith(database, logger)).get('/health/db').set('X-Request-Id', 'req-opener-1');
    const opened = await capture.waitForEntry((entry) => entry.message === 'database connection opened', 'for the new connection');
    expect(opened.requestId, 'opened while serving the request').to.equal('req-opener-1');
    await queryOnce(testDatabaseUrl(), 'SELECT pg_terminate_backend($1)', [opened.backendPid]);

    const lost = await capture.waitForEntry(
      (entry) => entry.message === 'database connection lost; it is dropped from the pool',
      'for the lost connection',
    );
    const closed = await capture.waitForEntry((entry) => entry.message === 'database connection closed', 'for the dropped connection');
    expect(lost.backendPid).to.equal(opened.backendPid);
    expect(lost).to.not.have.property('requestId');
    expect(closed).to.not.have.property('requestId');
  });

  it('logs a lost connection at warn, and at debug while disconnects are expected', async () => {
    const capture = captureLog();
    const logger = capturingLogger(capture);
    let expected = false;
    const config = testConfig();
    database = createDatabase({ ...config.database, url: config.database.url as string }, logger, { disconnectsExpected: () => expected });
    const open = database;
    const lose = async (): Promise<Record<string, unknown>> => {
      await open.ping();
      const opened = (await capture.entries()).filter((entry) => entry.message === 'database connection opened').at(-1);
      await queryOnce(testDatabaseUrl(), 'SELECT pg_terminate_backend($1)', [opened?.backendPid]);
      return capture.waitForEntry(
        (entry) => entry.message === 'database connection lost; it is dropped from the pool' && entry.backendPid === opened?.backendPid,
        `for backend ${String(opened?.backendPid)}`,
      );
    };

    const unexpected = await lose();
    expected = true;
    const whileExpected = await lose();

    expect(unexpected).to.include({ level: 'warn', code: '57P01' });
    expect(whileExpected).to.include({ level: 'debug', code: '57P01' });
  });

  it('tags no line with the id of the request that last used a connection when the pool closes it for idling', async () => {
    const capture = captureLog();
    const logger = capturingLogger(capture);
    database = databaseWith(logger, { DB_POOL_IDLE_MS: '1000', DB_POOL_EVICT_MS: '100' });

    await request(appWith(database, logger)).get('/health/db').set('X-Request-Id', 'req-idler-1');

    const closed = await capture.waitForEntry((entry) => entry.message === 'database connection closed', 'for the idle connection', 10_000);
    expect(closed).to.not.have.property('requestId');
  });

  it('logs no request id on lines written outside a request', async () => {
    const capture = captureLog();
    const logger = capturingLogger(capture);

    logger.info('outside');

    const [entry] = await capture.entries();
    expect(entry).to.not.have.property('requestId');
  });
});

describe('slow query logging', () => {
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it('logs a query slower than SLOW_QUERY_MS at warn with its duration, without SQL text outside development', async () => {
    const capture = captureLog();
    const logger = capturingLogger(capture);
    database = databaseWith(logger, { SLOW_QUERY_MS: '50' });

    await database.sequelize.query('SELECT pg_sleep(0.12), $1::text AS marker', { bind: ['bound-secret-value'] });
    await database.sequelize.query('SELECT 1');

    const slow = (await capture.entries()).filter((entry) => entry.message === 'slow query');
    expect(slow).to.have.length(1);
    expect(slow[0]).to.include({ level: 'warn', thresholdMs: 50 });
    expect(slow[0]?.durationMs).to.be.at.least(100);
    expect(slow[0]).to.not.have.property('sql');
    expect(await capture.text()).not.to.include('bound-secret-value');
  });
});

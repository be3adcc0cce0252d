import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { createLogger } from '../../config/logger';
import type { Database } from '../../lib/keel/db';
import { testDatabase } from '../support/app';
import { freePort } from '../support/database';
import { captureLog, type LogCapture } from '../support/log-capture';
import { scanText, sentinelRole, type SentinelRole } from '../support/sentinels';

/** What the database layer writes at silly in development: every query, with its SQL text. */
function sillyDatabase(url: string, log: LogCapture, overrides: Record<string, string> = {}): Database {
  const logger = createLogger({ env: 'development', logLevel: 'silly' }, log.stream);
  return testDatabase({ NODE_ENV: 'development', LOG_LEVEL: 'silly', DATABASE_URL: url, SLOW_QUERY_MS: '50', ...overrides }, logger);
}

describe('the sentinel database password in SQL logging at silly', () => {
  let role: SentinelRole;
  const opened: Database[] = [];

  before(async () => {
    role = await sentinelRole();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  it('never appears while queries, slow queries, failing queries and transactions are logged with their SQL', async () => {
    const log = captureLog();
    const database = sillyDatabase(role.url, log);
    opened.push(database);

    await database.sequelize.query('SELECT 1 AS one', { type: QueryTypes.SELECT });
    await database.sequelize.query('SELECT pg_sleep(0.1)', { type: QueryTypes.SELECT });
    await database.sequelize.query('SELECT * FROM no_such_table').catch(() => undefined);
    await database.unitOfWork({ user_id: 'u-1' }, async () => database.sequelize.query('SELECT current_user', { type: QueryTypes.SELECT }));
    await database.probe.check();
    const text = await log.text();
    scanText(text, 'the silly database log');

    expect(text, 'SQL text is logged at silly').to.include('SELECT 1 AS one');
    expect(text, 'slow queries are logged').to.match(/slow query/);
    expect(text.includes(role.password), 'the password appears in the log').to.equal(false);
  });

  it('never appears when connecting fails, at boot or on a query', async () => {
    const log = captureLog();
    const closed = new URL(role.url);
    closed.hostname = '127.0.0.1';
    closed.port = String(await freePort());
    const database = sillyDatabase(closed.toString(), log, {
      DB_CONNECT_TIMEOUT_MS: '300',
      DB_POOL_ACQUIRE_MS: '600',
      DB_STATEMENT_TIMEOUT_MS: '1000',
    });
    opened.push(database);

    const failure = await database.sequelize.query('SELECT 1').then(
      () => undefined,
      (error: unknown) => error,
    );
    const report = await database.probe.check();
    const text = `${await log.text()}\n${String(failure)}\n${JSON.stringify(report)}`;
    scanText(text, 'the log and errors of a failed connection');

    expect(failure).to.be.instanceOf(Error);
    expect(report.status).to.equal('fail');
    expect(text.includes(role.password), 'the password appears in the log or the errors').to.equal(false);
  });
});

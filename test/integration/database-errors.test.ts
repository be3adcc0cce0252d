import crypto from 'node:crypto';
import { expect } from 'chai';
import express, { type Express } from 'express';
import request from 'supertest';
import '../../lib/keel/http';
import { errorHandler } from '../../lib/keel/http/middleware/error-handler';
import { requestId } from '../../lib/keel/http/middleware/request-id';
import { currentRequestFields } from '../../lib/keel/http/request-scope';
import { createLogger, type Logger } from '../../config/logger';
import type { Database } from '../../lib/keel/db';
import { testDatabase } from '../support/app';
import { adminQuery, testDatabaseUrl, withDatabase } from '../support/database';
import { captureLog, type LogCapture } from '../support/log-capture';

const KEY_VALUE = `sentinel-${crypto.randomBytes(4).toString('hex')}@example.invalid`;
const LITERAL = `sentinel-literal-${crypto.randomBytes(4).toString('hex')}`;
const suffix = crypto.randomBytes(4).toString('hex');
const OWNERS = `keel_errors_owners_${suffix}`;
const ACCOUNTS = `keel_errors_accounts_${suffix}`;
const GUARD = `keel_errors_guard_${suffix}`;

/** Routes that write to real tables, behind the real request id and error middleware. */
function appOn(database: Database, logger: Logger): Express {
  const app = express();
  app.use(requestId(logger));
  app.post('/accounts', async (_req, res) => {
    await database.sequelize.query(`INSERT INTO ${ACCOUNTS} (email, owner_id) VALUES ($1, 1)`, { bind: [KEY_VALUE] });
    res.status(201).end();
  });
  app.post('/orphans', async (_req, res) => {
    await database.sequelize.query(`INSERT INTO ${ACCOUNTS} (email, owner_id) VALUES ($1, 987654)`, { bind: [`other-${KEY_VALUE}`] });
    res.status(201).end();
  });
  app.post('/guarded', async (_req, res) => {
    // Replacements are inlined into the SQL text: the literal is in the statement itself.
    await database.sequelize.query(`INSERT INTO ${ACCOUNTS} (email, owner_id, balance) VALUES (:email, 1, -5)`, {
      replacements: { email: LITERAL },
    });
    res.status(201).end();
  });
  app.use(errorHandler(logger));
  return app;
}

describe('database errors answered and logged', () => {
  let database: Database;
  let capture: LogCapture;
  let app: Express;

  before(async () => {
    await adminQuery(`CREATE TABLE ${OWNERS} (id int PRIMARY KEY)`);
    await adminQuery(`INSERT INTO ${OWNERS} VALUES (1)`);
    await adminQuery(
      `CREATE TABLE ${ACCOUNTS} (email text UNIQUE, owner_id int REFERENCES ${OWNERS} (id), balance int NOT NULL DEFAULT 0)`,
    );
    // A fault outside class 23 (an integrity violation is a 409) that still names a table and a constraint, and
    // quotes the value in its message and detail, as the server's own errors do.
    await adminQuery(`
      CREATE FUNCTION ${GUARD}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.balance < 0 THEN
          RAISE EXCEPTION 'refused %', NEW.email
            USING ERRCODE = 'P0001', TABLE = TG_TABLE_NAME, CONSTRAINT = '${GUARD}', DETAIL = format('Failing row contains (%s).', NEW.email);
        END IF;
        RETURN NEW;
      END $$`);
    await adminQuery(`CREATE TRIGGER ${GUARD} BEFORE INSERT ON ${ACCOUNTS} FOR EACH ROW EXECUTE FUNCTION ${GUARD}()`);
  });
  after(async () => {
    await adminQuery(`DROP TABLE IF EXISTS ${ACCOUNTS}, ${OWNERS}`);
    await adminQuery(`DROP FUNCTION IF EXISTS ${GUARD}()`);
  });
  beforeEach(() => {
    capture = captureLog();
    const logger = createLogger({ env: 'production', logLevel: 'debug' }, capture.stream, currentRequestFields);
    database = testDatabase({}, logger);
    app = appOn(database, logger);
  });
  afterEach(async () => {
    await database.close();
    await adminQuery(`DELETE FROM ${ACCOUNTS}`);
  });

  it('answers a unique violation with 409 unique_violation that echoes no key value', async () => {
    expect((await request(app).post('/accounts')).status).to.equal(201);

    const response = await request(app).post('/accounts');

    expect(response.status).to.equal(409);
    expect(response.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(response.body).to.include({ status: 409, code: 'unique_violation' });
    expect(response.text).to.not.include(KEY_VALUE);
    const rejected = await capture.waitForEntry((entry) => entry.message === 'request rejected', 'for the 409');
    expect(rejected).to.include({ code: 'unique_violation', constraint: `${ACCOUNTS}_email_key`, table: ACCOUNTS });
    expect(await capture.text()).to.not.include(KEY_VALUE);
  });

  it('answers a foreign-key violation with 409 foreign_key_violation that echoes no key value', async () => {
    const response = await request(app).post('/orphans');

    expect(response.status).to.equal(409);
    expect(response.body).to.include({ status: 409, code: 'foreign_key_violation' });
    expect(response.text).to.not.match(/987654|keel_errors/);
    expect(await capture.text()).to.not.include('987654');
  });

  it('logs an unexpected database error with name, SQLSTATE, constraint and table, and no SQL text, value or detail', async () => {
    const response = await request(app).post('/guarded');

    expect(response.status).to.equal(500);
    const failed = await capture.waitForEntry((entry) => entry.message === 'request failed', 'for the 500');
    expect(failed.level).to.equal('error');
    expect(failed.error).to.include({ name: 'SequelizeDatabaseError', sqlState: 'P0001', constraint: GUARD, table: ACCOUNTS });
    const text = await capture.text();
    expect(text).to.not.include(LITERAL);
    expect(text).to.not.include('INSERT');
    expect(text).to.not.include('Failing row');
  });
});

describe('a request whose query cannot open a connection because DATABASE_URL names no database', () => {
  const missing = `kee1_${crypto.randomBytes(4).toString('hex')}`;
  let database: Database;

  before(() => {
    database = testDatabase({ DATABASE_URL: withDatabase(testDatabaseUrl(), missing) });
  });

  after(async () => {
    await database.close();
  });

  it('answers 503 database_not_found with Retry-After, naming neither the database nor the server', async () => {
    const logger = createLogger({ env: 'test', logLevel: 'silent' });
    const app = express();
    app.use(requestId(logger));
    app.get('/reads', async (_req, res) => {
      await database.sequelize.query('SELECT 1');
      res.status(200).end();
    });
    app.use(errorHandler(logger));

    const res = await request(app).get('/reads');

    expect(res.status).to.equal(503);
    expect(res.headers['retry-after']).to.equal('1');
    expect(res.body).to.include({ code: 'database_not_found', detail: 'The database this service is configured to use does not exist.' });
    expect(JSON.stringify(res.body)).not.to.include(missing);
  });
});

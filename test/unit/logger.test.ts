import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { UniqueConstraintError } from 'sequelize';
import sinon from 'sinon';
import { createLogger, redactText } from '../../config/logger';
import { captureLog } from '../support/log-capture';

const PASSWORD = 'SENTINEL_PW_123';
const URL_WITH_PASSWORD = `postgres://keel:${PASSWORD}@db.internal:5432/keel`;

describe('createLogger', () => {
  describe('format', () => {
    for (const env of ['production', 'staging'] as const) {
      it(`writes one JSON object per line with level, message and timestamp in ${env}`, async () => {
        const capture = captureLog();
        const logger = createLogger({ env, logLevel: 'info' }, capture.stream);

        logger.info('first', { answer: 42 });
        logger.warn('second');

        const entries = await capture.entries();
        expect(entries).to.have.lengthOf(2);
        expect(entries[0]).to.include({ level: 'info', message: 'first', answer: 42 });
        expect(entries[1]).to.include({ level: 'warn', message: 'second' });
        for (const entry of entries) expect(Number.isNaN(Date.parse(String(entry.timestamp)))).to.equal(false);
      });
    }

    it('stamps each line with the millisecond it was made, also when the clock steps back', async () => {
      const start = Date.UTC(2026, 0, 1, 12, 0, 0);
      const clock = sinon.useFakeTimers({ now: start, toFake: ['Date'] });
      try {
        const capture = captureLog();
        const logger = createLogger({ env: 'production', logLevel: 'info' }, capture.stream);

        logger.info('a');
        logger.info('b');
        clock.tick(1);
        logger.info('c');
        clock.setSystemTime(start - 60_000);
        logger.info('d');

        const stamps = (await capture.entries()).map((entry) => entry.timestamp);
        const iso = (ms: number): string => new Date(ms).toISOString();
        expect(stamps).to.deep.equal([iso(start), iso(start), iso(start + 1), iso(start - 60_000)]);
      } finally {
        clock.restore();
      }
    });

    it('keeps a timestamp the caller passed', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'info' }, capture.stream);

      logger.info('replayed', { timestamp: '2020-02-02T02:02:02.000Z' });

      const [entry] = await capture.entries();
      expect(entry?.timestamp).to.equal('2020-02-02T02:02:02.000Z');
    });

    for (const env of ['production', 'development'] as const) {
      it(`writes a bigint as a string of all its digits and a Date as its ISO string in ${env}`, async () => {
        const capture = captureLog();
        const logger = createLogger({ env, logLevel: 'info' }, capture.stream);
        const big = 2n ** 64n + 1n;
        const at = new Date(Date.UTC(2026, 4, 6, 7, 8, 9, 10));

        logger.info('values', { big, at, nested: { big, at } });

        const text = await capture.text();
        expect(text).to.include(`"big":"${big}"`).and.include(`"at":"${at.toISOString()}"`);
        expect(text).to.include(`"nested":{"big":"${big}","at":"${at.toISOString()}"}`);
      });
    }

    it('writes readable lines that are not JSON in development', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'development', logLevel: 'debug' }, capture.stream);

      logger.info('server ready', { port: 3000 });

      const text = await capture.text();
      expect(text).to.include('server ready');
      expect(text).to.include('"port":3000');
      expect(() => JSON.parse(text) as unknown).to.throw(SyntaxError);
    });

    for (const env of ['development', 'test'] as const) {
      it(`writes no terminal colour codes to a stream that is not a terminal (a pipe, a file) in ${env}`, async () => {
        const capture = captureLog();
        const logger = createLogger({ env, logLevel: 'debug' }, capture.stream);

        logger.info('server ready');
        logger.error('it broke');

        const text = await capture.text();
        expect(text).to.include('info server ready');
        expect(text).to.include('error it broke');
        expect(text).not.to.include('\u001b[');
      });
    }

    it('colours the level when the stream is a terminal', async () => {
      const capture = captureLog();
      const terminal = Object.assign(capture.stream, { isTTY: true });
      const logger = createLogger({ env: 'development', logLevel: 'debug' }, terminal);

      logger.error('it broke');

      const escape = '\u001b[';
      expect(await capture.text())
        .to.include(escape)
        .and.include('error')
        .and.include('it broke');
      expect(await capture.text()).not.to.include(' error it broke');
    });

    it('writes nothing at all when the log level is silent', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'silent' }, capture.stream);

      logger.error('an error');
      logger.warn('a warning');
      logger.info('some news');

      expect(await capture.text()).to.equal('');
    });

    it('drops entries below the configured level', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'warn' }, capture.stream);

      logger.info('dropped');
      logger.debug('dropped too');
      logger.warn('kept');

      const entries = await capture.entries();
      expect(entries.map((entry) => entry.message)).to.deep.equal(['kept']);
    });
  });

  describe('redaction', () => {
    it('masks the password of a database URL inside a message', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'info' }, capture.stream);

      logger.info(`connecting to ${URL_WITH_PASSWORD}`);

      const text = await capture.text();
      expect(text).to.not.include(PASSWORD);
      expect(text).to.include('db.internal');
    });

    it('masks the password of a database URL inside metadata, however deep', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'info' }, capture.stream);

      logger.info('connecting', { target: URL_WITH_PASSWORD, nested: { list: [{ where: URL_WITH_PASSWORD }] } });

      const text = await capture.text();
      expect(text).to.not.include(PASSWORD);
      expect(text).to.include('db.internal');
    });

    it('masks the password inside the message and stack of a logged Error', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'info' }, capture.stream);

      logger.error(new Error(`cannot connect to ${URL_WITH_PASSWORD}`));

      const text = await capture.text();
      const [entry] = await capture.entries();
      expect(text).to.not.include(PASSWORD);
      expect(entry?.message).to.include('cannot connect to');
      expect(entry?.stack).to.be.a('string').that.includes('cannot connect to');
    });

    it('keeps the message and stack of an Error passed as metadata, with the password masked', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'info' }, capture.stream);
      const error = new Error(`cannot connect to ${URL_WITH_PASSWORD}`);

      logger.error('request failed', { error });

      const text = await capture.text();
      const [entry] = await capture.entries();
      expect(text).to.not.include(PASSWORD);
      const logged = entry?.error as { message?: unknown; stack?: unknown } | undefined;
      expect(logged?.message).to.be.a('string').that.includes('cannot connect to');
      expect(logged?.stack).to.be.a('string').that.includes('cannot connect to');
      expect(String(logged?.stack)).to.match(/\n\s+at /);
    });

    it('masks the password in the readable development format as well', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'development', logLevel: 'debug' }, capture.stream);

      logger.error(new Error(`cannot connect to ${URL_WITH_PASSWORD}`));
      logger.info(`target ${URL_WITH_PASSWORD}`, { target: URL_WITH_PASSWORD });

      const text = await capture.text();
      expect(text).to.include('cannot connect to');
      expect(text).to.not.include(PASSWORD);
    });

    it('replaces the values of keys that name secrets with [redacted]', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'info' }, capture.stream);
      const secrets = {
        password: 'v-password',
        secretKey: 'v-secretKey',
        authorization: 'Bearer v-authorization',
        databaseUrl: 'v-databaseUrl',
        DATABASE_URL: 'v-DATABASE_URL',
        token: 'v-token',
        apiKey: 'v-apiKey',
        cookie: 'v-cookie',
      };

      logger.info('request', { ...secrets, headers: { authorization: 'Bearer v-nested' }, method: 'GET' });

      const [entry] = await capture.entries();
      for (const key of Object.keys(secrets)) expect(entry?.[key], key).to.equal('[redacted]');
      expect(entry?.headers).to.deep.equal({ authorization: '[redacted]' });
      expect(entry?.method).to.equal('GET');
      expect(JSON.stringify(entry)).to.not.match(
        /v-(password|secretKey|authorization|databaseUrl|DATABASE_URL|token|apiKey|cookie|nested)/,
      );
    });
  });
  describe('redaction of deep and nested values', () => {
    it('replaces values deeper than the depth limit with [truncated], never logging them unredacted', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'info' }, capture.stream);

      logger.info('deep', { l1: { l2: { l3: { l4: { l5: { l6: { password: 'v-deep-password', url: URL_WITH_PASSWORD } } } } } } });

      const text = await capture.text();
      expect(text).to.include('[truncated]');
      expect(text).to.not.include('v-deep-password');
      expect(text).to.not.include(PASSWORD);
    });

    it("logs an error's cause, redacted", async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'info' }, capture.stream);
      const error = new Error('could not load the settings', { cause: new Error(`cannot connect to ${URL_WITH_PASSWORD}`) });

      logger.error('boot failed', { error });

      const [entry] = await capture.entries();
      const cause = (entry?.error as { cause?: { message?: unknown } } | undefined)?.cause;
      expect(cause?.message).to.be.a('string').that.includes('cannot connect to postgres://keel:***@db.internal');
      expect(await capture.text()).to.not.include(PASSWORD);
    });

    it("logs an AggregateError's errors, redacted", async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'info' }, capture.stream);
      const error = new AggregateError(
        [new Error('connect ECONNREFUSED ::1:5432'), new Error(`connect ECONNREFUSED ${URL_WITH_PASSWORD}`)],
        'every address refused',
      );

      logger.error('connect failed', { error });

      const [entry] = await capture.entries();
      const errors = (entry?.error as { errors?: { message?: unknown }[] } | undefined)?.errors;
      expect(errors?.map((inner) => inner.message)).to.deep.equal([
        'connect ECONNREFUSED ::1:5432',
        'connect ECONNREFUSED postgres://keel:***@db.internal:5432/keel',
      ]);
    });
  });

  describe('database errors', () => {
    const KEY_VALUE = 'sentinel-key@example.invalid';
    const LITERAL = 'sentinel-literal-4711';
    /** A UniqueConstraintError as Sequelize 6 builds it from pg's error. */
    const uniqueViolation = (): UniqueConstraintError => {
      const parent = Object.assign(new Error('duplicate key value violates unique constraint "accounts_email_key"'), {
        code: '23505',
        severity: 'ERROR',
        detail: `Key (email)=(${KEY_VALUE}) already exists.`,
        schema: 'public',
        table: 'accounts',
        constraint: 'accounts_email_key',
        routine: '_bt_check_unique',
        sql: `INSERT INTO accounts (email, note) VALUES ($1, '${LITERAL}')`,
        parameters: [KEY_VALUE],
      });
      return new UniqueConstraintError({ parent, fields: { email: KEY_VALUE }, message: 'Validation error' });
    };

    for (const env of ['production', 'test'] as const) {
      it(`logs name, SQLSTATE, constraint and table, and no SQL, bound value or detail, in ${env}`, async () => {
        const capture = captureLog();
        const logger = createLogger({ env, logLevel: 'info' }, capture.stream);

        logger.error('request failed', { error: uniqueViolation() });
        logger.error(uniqueViolation());

        const text = await capture.text();
        expect(text).to.not.include(KEY_VALUE);
        expect(text).to.not.include(LITERAL);
        expect(text).to.not.include('INSERT');
        const expected = { name: 'SequelizeUniqueConstraintError', sqlState: '23505', constraint: 'accounts_email_key', table: 'accounts' };
        if (env === 'production') {
          const [nested, whole] = await capture.entries();
          expect(nested?.error).to.include(expected);
          expect(whole).to.include({ ...expected, level: 'error' });
          expect(String((nested?.error as { stack?: unknown } | undefined)?.stack)).to.match(/\n\s+at /);
        }
      });
    }

    it('logs the SQL text and the detail in development, still masking bound values', async () => {
      const capture = captureLog();
      const logger = createLogger({ env: 'development', logLevel: 'info' }, capture.stream);

      logger.error('request failed', { error: uniqueViolation() });

      const text = await capture.text();
      expect(text).to.include(LITERAL);
      expect(text).to.include(`Key (email)=(${KEY_VALUE}) already exists.`);
      expect(text).to.include('"parameters":"[redacted]"');
    });
  });
});

describe('redactText', () => {
  it('masks the password of a postgres URL and keeps user, host, port and database', () => {
    expect(redactText(URL_WITH_PASSWORD)).to.equal('postgres://keel:***@db.internal:5432/keel');
  });

  it('masks every URL in a longer text', () => {
    const text = `primary ${URL_WITH_PASSWORD} replica postgresql://ro:${PASSWORD}2@replica/keel done`;

    const redacted = redactText(text);

    expect(redacted).to.not.include(PASSWORD);
    expect(redacted).to.include('primary postgres://keel:***@db.internal');
    expect(redacted).to.include('replica postgresql://ro:***@replica/keel done');
  });

  it('masks credentials of other schemes too', () => {
    expect(redactText(`https://user:${PASSWORD}@api.example/x`)).to.equal('https://user:***@api.example/x');
    expect(redactText(`redis://:${PASSWORD}@cache:6379`)).to.equal('redis://:***@cache:6379');
  });

  it('masks a percent-encoded password', () => {
    expect(redactText('postgres://u:p%40ss%3Aw0rd@h/db')).to.equal('postgres://u:***@h/db');
  });

  it('leaves a URL without a password unchanged', () => {
    const url = 'postgres://keel@db.internal:5432/keel';

    expect(redactText(url)).to.equal(url);
  });

  it('leaves text without URLs unchanged', () => {
    const text = 'user: keel, time 12:30 @ the office';

    expect(redactText(text)).to.equal(text);
  });
});

describe('createLogger writing to stdout', () => {
  afterEach(() => sinon.restore());

  it("writes a turn's lines together with one write, once the turn is over", async () => {
    const write = sinon.stub(process.stdout, 'write').returns(true);
    const logger = createLogger({ env: 'production', logLevel: 'info' });

    logger.info('first');
    logger.info('second');
    logger.warn('third');
    const writesDuringTheTurn = write.callCount;
    await new Promise((resolve) => setImmediate(resolve));
    sinon.restore();

    expect(writesDuringTheTurn).to.equal(0);
    expect(write.callCount).to.equal(1);
    const lines = String(write.firstCall.args[0]).trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { message: string }).message)).to.deep.equal(['first', 'second', 'third']);
  });

  for (const [how, ending] of [
    ['the process exits on its own', ''],
    ['process.exit() is called in the same turn', 'process.exit(3);'],
  ] as const) {
    it(`loses no line when ${how}`, () => {
      const logger = path.join(__dirname, '..', '..', 'config', 'logger.js');
      const script = `const { createLogger } = require(${JSON.stringify(logger)});
        const log = createLogger({ env: 'production', logLevel: 'info' });
        for (let i = 0; i < 1000; i++) log.info('line', { i });
        ${ending}`;
      const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });

      expect(child.status).to.equal(ending ? 3 : 0);
      const numbers = child.stdout
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { i: number }).i);
      expect(numbers).to.deep.equal([...Array(1000).keys()]);
    });
  }
});

import { expect } from 'chai';
import sinon from 'sinon';
import { QueryTypes } from 'sequelize';
import { runInRequestScope, currentRequestFields } from '../../lib/keel/http/request-scope';
import { sendConsoleToLogger, sendWarningsToLogger } from '../../config/console';
import { createLogger } from '../../config/logger';
import type { Database } from '../../lib/keel/db';
import { testDatabase } from '../support/app';
import { createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';
import { captureLog } from '../support/log-capture';

/**
 * Deployed, bin/www sends console.* through the logger (config/console.ts). The case it is for, on
 * a real PostgreSQL: a COMMIT that fails (a deferred unique constraint, checked only then), which
 * Sequelize reports with console.warn before it kills the connection.
 */
describe('console.* of libraries, deployed (sendConsoleToLogger)', function () {
  this.timeout(30_000);
  let scratch: ScratchDatabase;
  let database: Database | undefined;
  let restoreConsole: (() => void) | undefined;

  beforeEach(async () => {
    scratch = await createScratchDatabase();
    await queryOnce(
      scratch.url,
      'CREATE TABLE keel_test_codes (code text NOT NULL, CONSTRAINT keel_test_codes_code_key UNIQUE (code) DEFERRABLE INITIALLY DEFERRED)',
    );
  });

  afterEach(async () => {
    restoreConsole?.();
    restoreConsole = undefined;
    sinon.restore();
    await database?.close();
    database = undefined;
    await scratch.drop();
  });

  it("turns Sequelize's warning about a failed COMMIT into a JSON log line with the request id, and writes nothing to stderr", async () => {
    const log = captureLog();
    const logger = createLogger({ env: 'production', logLevel: 'info' }, log.stream, currentRequestFields);
    const stderr = sinon.spy(process.stderr, 'write');
    database = testDatabase({ DATABASE_URL: scratch.url });
    restoreConsole = sendConsoleToLogger(logger);

    const outcome = await runInRequestScope({ requestId: 'req-commit-fails' }, () =>
      database!.unitOfWork({}, async (transaction) => {
        await database!.sequelize.query("INSERT INTO keel_test_codes (code) VALUES ('a'), ('a')", { type: QueryTypes.INSERT, transaction });
      }),
    ).then(
      () => 'committed',
      (error: Error) => error.name,
    );

    expect(outcome, 'the unit of work').to.equal('SequelizeUniqueConstraintError');
    const line = await log.waitForEntry((entry) => entry.source === 'console', 'from console.warn');
    expect(line).to.include({ level: 'warn', source: 'console', requestId: 'req-commit-fails' });
    expect(line.message).to.match(/^Committing transaction \S+ failed with error "Validation error"\. We are killing its connection/);
    expect(stderr.args.map(([chunk]) => String(chunk)).join('')).not.to.include('Committing transaction');
  });

  it('formats console arguments as console does, at the level of the method, and puts console back when asked', async () => {
    const log = captureLog();
    const originals = [console.error, console.warn, console.info, console.log, console.debug];
    restoreConsole = sendConsoleToLogger(createLogger({ env: 'production', logLevel: 'debug' }, log.stream));

    console.error('failed %d times: %s', 3, 'gave up');
    console.warn('careful');
    console.log('an object', { a: 1 });
    console.info('noted');
    console.debug('detail');
    restoreConsole();
    restoreConsole = undefined;

    const lines = (await log.entries()).map(({ level, message, source, values }) => ({ level, message, source, values }));
    expect(lines).to.deep.equal([
      { level: 'error', message: 'failed 3 times: gave up', source: 'console', values: undefined },
      { level: 'warn', message: 'careful', source: 'console', values: undefined },
      { level: 'info', message: 'an object <object>', source: 'console', values: [{ a: 1 }] },
      { level: 'info', message: 'noted', source: 'console', values: undefined },
      { level: 'debug', message: 'detail', source: 'console', values: undefined },
    ]);
    expect([console.error, console.warn, console.info, console.log, console.debug], 'console once put back').to.deep.equal(originals);
  });

  it('logs a database error passed to console as the logger summarises one: never its SQL or bound values', async () => {
    const log = captureLog();
    const db = testDatabase({ DATABASE_URL: scratch.url });
    database = db;
    const error = await db.sequelize.query('SELECT $1::int / 0 AS quotient', { bind: ['7'], type: QueryTypes.SELECT }).then(
      () => undefined,
      (failed: unknown) => failed,
    );
    restoreConsole = sendConsoleToLogger(createLogger({ env: 'production', logLevel: 'info' }, log.stream));

    console.error('a library failed:', error);

    const [line] = await log.entries();
    expect(line).to.include({ level: 'error', message: 'a library failed: <SequelizeDatabaseError>', source: 'console' });
    expect(line?.values).to.have.length(1).and.to.have.nested.property('[0].sqlState', '22012');
    expect(JSON.stringify(line)).not.to.match(/SELECT|quotient|division/);
  });
});

describe('process warnings, deployed (sendWarningsToLogger)', () => {
  let restoreWarnings: (() => void) | undefined;
  afterEach(() => {
    restoreWarnings?.();
    restoreWarnings = undefined;
    sinon.restore();
  });

  it("logs a process warning as a JSON line of its own, with its type, code and detail, instead of Node's stderr text", async () => {
    const log = captureLog();
    const stderr = sinon.spy(process.stderr, 'write');
    restoreWarnings = sendWarningsToLogger(createLogger({ env: 'production', logLevel: 'info' }, log.stream));

    process.emitWarning('widget.frob() is deprecated', {
      type: 'DeprecationWarning',
      code: 'WIDGET_FROB',
      detail: 'Use widget.twiddle().',
    });

    const line = await log.waitForEntry((entry) => entry.source === 'process', 'the warning');
    expect(line).to.include({
      level: 'warn',
      message: 'widget.frob() is deprecated',
      warning: 'DeprecationWarning',
      code: 'WIDGET_FROB',
      detail: 'Use widget.twiddle().',
    });
    expect(stderr.args.map(([chunk]) => String(chunk)).join('')).not.to.include('widget.frob()');
  });

  it("puts Node's own listener back when asked, and adds none where warnings were silenced (no listener)", () => {
    const nodeListeners = process.listeners('warning');
    const logger = createLogger({ env: 'production', logLevel: 'info' }, captureLog().stream);

    sendWarningsToLogger(logger)();
    const afterRestore = process.listeners('warning');
    for (const listener of nodeListeners) process.removeListener('warning', listener);
    try {
      sendWarningsToLogger(logger);
      expect(process.listeners('warning'), 'silenced warnings stay silenced').to.deep.equal([]);
    } finally {
      for (const listener of nodeListeners) process.on('warning', listener);
    }

    expect(nodeListeners).to.have.length.of.at.least(1);
    expect(afterRestore).to.deep.equal(nodeListeners);
  });
});

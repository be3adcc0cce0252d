import { expect } from 'chai';
import { ConfigError, loadConfig, type Config } from '../../config/env';

function configErrorFrom(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  return expect.fail(`expected loadConfig to throw a ConfigError for ${JSON.stringify(env)}`);
}

/** The problems of a ConfigError that concern one variable. */
function problemsAbout(error: ConfigError, name: string): string[] {
  return error.problems.filter((problem) => problem.startsWith(`${name}:`));
}

/**
 * Each nested wait: inner must stay below outer. The values put inner at, and above, a valid outer
 * while keeping every other rule satisfied by the defaults.
 */
const ORDERED: ReadonlyArray<{
  readonly inner: string;
  readonly outer: string;
  readonly outerValue: number;
  readonly read: (config: Config) => readonly [inner: number, outer: number];
}> = [
  {
    inner: 'DB_CONNECT_TIMEOUT_MS',
    outer: 'DB_POOL_ACQUIRE_MS',
    outerValue: 3_000,
    read: (c) => [c.database.connectTimeoutMs, c.database.pool.acquireMs],
  },
  {
    inner: 'DB_POOL_ACQUIRE_MS',
    outer: 'DB_STATEMENT_TIMEOUT_MS',
    outerValue: 5_000,
    read: (c) => [c.database.pool.acquireMs, c.database.statementTimeoutMs],
  },
  {
    inner: 'DB_STATEMENT_TIMEOUT_MS',
    outer: 'REQUEST_DEADLINE_MS',
    outerValue: 20_000,
    read: (c) => [c.database.statementTimeoutMs, c.http.requestDeadlineMs],
  },
  {
    inner: 'DB_STATEMENT_TIMEOUT_MS',
    outer: 'DB_IDLE_IN_TRANSACTION_MS',
    outerValue: 15_000,
    read: (c) => [c.database.statementTimeoutMs, c.database.idleInTransactionTimeoutMs],
  },
  {
    inner: 'DB_IDLE_IN_TRANSACTION_MS',
    outer: 'REQUEST_DEADLINE_MS',
    outerValue: 20_000,
    read: (c) => [c.database.idleInTransactionTimeoutMs, c.http.requestDeadlineMs],
  },
  {
    inner: 'DB_PROBE_WARN_MS',
    outer: 'DB_PROBE_TIMEOUT_MS',
    outerValue: 500,
    read: (c) => [c.database.probe.warnMs, c.database.probe.timeoutMs],
  },
  {
    inner: 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    outer: 'HTTP_HEADERS_TIMEOUT_MS',
    outerValue: 66_000,
    read: (c) => [c.http.keepAliveTimeoutMs, c.http.headersTimeoutMs],
  },
  {
    inner: 'SHUTDOWN_DRAIN_DELAY_MS',
    outer: 'SHUTDOWN_TIMEOUT_MS',
    outerValue: 10_000,
    read: (c) => [c.shutdown.drainDelayMs, c.shutdown.timeoutMs],
  },
];

describe('loadConfig time budgets', () => {
  for (const { inner, outer, outerValue, read } of ORDERED) {
    describe(`${inner} inside ${outer}`, () => {
      for (const [label, innerValue] of [
        ['equal to', outerValue],
        ['above', outerValue + 1_000],
      ] as const) {
        it(`is refused when ${inner} is ${label} ${outer}, with one problem naming ${outer} and the rule`, () => {
          const error = configErrorFrom({ [inner]: String(innerValue), [outer]: String(outerValue) });

          expect(error.problems, 'all problems').to.have.lengthOf(1);
          expect(problemsAbout(error, outer)).to.have.lengthOf(1);
          expect(problemsAbout(error, outer)[0]).to.include(inner);
        });
      }

      it(`is accepted when ${inner} is just below ${outer}`, () => {
        const config = loadConfig({ [inner]: String(outerValue - 1), [outer]: String(outerValue) });

        expect(read(config)).to.deep.equal([outerValue - 1, outerValue]);
      });
    });
  }

  describe('HTTP_REQUEST_TIMEOUT_MS and HTTP_HEADERS_TIMEOUT_MS', () => {
    it('is refused when the request timeout is below the headers timeout, naming HTTP_REQUEST_TIMEOUT_MS', () => {
      const error = configErrorFrom({ HTTP_HEADERS_TIMEOUT_MS: '66000', HTTP_REQUEST_TIMEOUT_MS: '65999' });

      expect(error.problems, 'all problems').to.have.lengthOf(1);
      expect(problemsAbout(error, 'HTTP_REQUEST_TIMEOUT_MS')).to.have.lengthOf(1);
      expect(problemsAbout(error, 'HTTP_REQUEST_TIMEOUT_MS')[0]).to.include('HTTP_HEADERS_TIMEOUT_MS');
    });

    it('is accepted when the request timeout equals the headers timeout', () => {
      const config = loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '66000', HTTP_REQUEST_TIMEOUT_MS: '66000' });

      expect(config.http.requestTimeoutMs).to.equal(66_000);
      expect(config.http.headersTimeoutMs).to.equal(66_000);
    });
  });

  describe('DB_IDLE_IN_TRANSACTION_MS unset', () => {
    it('is halfway between the statement timeout and the request deadline (17500 with the defaults)', () => {
      expect(loadConfig({}).database.idleInTransactionTimeoutMs).to.equal(17_500);
    });

    it('follows the statement timeout and the deadline when they are lowered, so that they need no third setting', () => {
      const config = loadConfig({
        REQUEST_DEADLINE_MS: '1000',
        DB_STATEMENT_TIMEOUT_MS: '900',
        DB_POOL_ACQUIRE_MS: '600',
        DB_CONNECT_TIMEOUT_MS: '300',
      });

      expect(config.database.idleInTransactionTimeoutMs).to.equal(950);
    });
  });

  it('checks the budgets only once every variable is valid, so a bad value is reported alone', () => {
    const error = configErrorFrom({ DB_PROBE_WARN_MS: 'slow', DB_PROBE_TIMEOUT_MS: '100' });

    expect(error.problems).to.have.lengthOf(1);
    expect(problemsAbout(error, 'DB_PROBE_WARN_MS')).to.have.lengthOf(1);
  });

  for (const nodeEnv of ['development', 'test', 'production'] as const) {
    it(`satisfies every rule with the defaults in ${nodeEnv}`, () => {
      const env: Record<string, string> =
        nodeEnv === 'production'
          ? { NODE_ENV: nodeEnv, DATABASE_URL: 'postgres://u:p@db.internal/keel', AUTH: 'off' }
          : { NODE_ENV: nodeEnv };

      const config = loadConfig(env);

      for (const { inner, outer, read } of ORDERED) {
        const [innerValue, outerValue] = read(config);
        expect(innerValue, `${inner} < ${outer}`).to.be.below(outerValue);
      }
      expect(config.http.requestTimeoutMs, 'HTTP_REQUEST_TIMEOUT_MS >= HTTP_HEADERS_TIMEOUT_MS').to.be.at.least(
        config.http.headersTimeoutMs,
      );
      expect(config.http.requestDeadlineMs, 'REQUEST_DEADLINE_MS below the 30 s router timeout').to.be.below(30_000);
      expect(config.shutdown.timeoutMs, 'SHUTDOWN_TIMEOUT_MS below the 30 s kill grace').to.be.below(30_000);
    });
  }
});

describe('loadConfig new timing variables', () => {
  // variable, a value that keeps every rule, where it lands, its default, values outside its range
  const table: ReadonlyArray<readonly [string, number, (config: Config) => number, number, readonly [string, string]]> = [
    ['DB_PROBE_TIMEOUT_MS', 2_000, (c) => c.database.probe.timeoutMs, 1_000, ['99', '10001']],
    ['DB_PROBE_CACHE_MS', 5_000, (c) => c.database.probe.cacheMs, 1_000, ['-1', '60001']],
    ['DB_PROBE_WARN_MS', 100, (c) => c.database.probe.warnMs, 250, ['0', '10001']],
    ['SHUTDOWN_DRAIN_DELAY_MS', 5_000, (c) => c.shutdown.drainDelayMs, 0, ['-1', '28001']],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', 30_000, (c) => c.http.keepAliveTimeoutMs, 65_000, ['999', '600001']],
    ['HTTP_HEADERS_TIMEOUT_MS', 68_000, (c) => c.http.headersTimeoutMs, 66_000, ['999', '600001']],
    ['HTTP_REQUEST_TIMEOUT_MS', 120_000, (c) => c.http.requestTimeoutMs, 70_000, ['999', '600001']],
    ['REQUEST_DEADLINE_MS', 20_000, (c) => c.http.requestDeadlineMs, 25_000, ['999', '29001']],
  ];

  for (const [name, good, read, defaultValue, outOfRange] of table) {
    describe(name, () => {
      it(`defaults to ${defaultValue}`, () => {
        expect(read(loadConfig({ NODE_ENV: 'test' }))).to.equal(defaultValue);
      });

      it('is read as a number when it is a whole number in range', () => {
        expect(read(loadConfig({ [name]: String(good) }))).to.equal(good);
      });

      for (const bad of [`${good}.5`, 'soon']) {
        it(`rejects ${bad}, which is not a whole number, naming the variable`, () => {
          const error = configErrorFrom({ [name]: bad });

          expect(error.problems).to.have.lengthOf(1);
          expect(problemsAbout(error, name)).to.have.lengthOf(1);
        });
      }

      for (const bad of outOfRange) {
        it(`rejects the out-of-range value ${bad}, naming the variable and its range`, () => {
          const error = configErrorFrom({ [name]: bad });

          expect(error.problems).to.have.lengthOf(1);
          expect(problemsAbout(error, name)).to.have.lengthOf(1);
          expect(problemsAbout(error, name)[0]).to.match(/between \d+ and \d+/);
        });
      }
    });
  }
});

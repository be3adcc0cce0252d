import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig, type Config } from '../../config/env';
import { projectRoot } from '../../config/project';

const DATABASE_URL = 'postgres://keel:db-password@db.internal:5432/keel';
const SENTINEL_PASSWORD = 'SENTINEL_PW_123';

const ISSUER = 'https://id.example.com/';
const AUDIENCE = 'https://api.example.com';

/** A complete, valid environment for a deployed service. */
function deployedEnv(nodeEnv: 'staging' | 'production', overrides: Record<string, string> = {}): Record<string, string> {
  return { NODE_ENV: nodeEnv, DATABASE_URL, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, ...overrides };
}

function without(env: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));
}

function configErrorFrom(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  return expect.fail(`expected loadConfig to throw a ConfigError for ${JSON.stringify(Object.keys(env))}`);
}

/** The problems of a ConfigError that concern one variable. */
function problemsAbout(error: ConfigError, name: string): string[] {
  return error.problems.filter((problem) => problem.startsWith(`${name}:`));
}

function expectDeeplyFrozen(value: object, at: string): void {
  expect(Object.isFrozen(value), `${at} is frozen`).to.equal(true);
  for (const [key, child] of Object.entries(value)) {
    if (child && typeof child === 'object') expectDeeplyFrozen(child as object, `${at}.${key}`);
  }
}

describe('loadConfig', () => {
  describe('in development', () => {
    it('listens on port 3000, logs at debug and asks for the embedded database when nothing is set', () => {
      const config = loadConfig({});

      expect(config.env).to.equal('development');
      expect(config.port).to.equal(3000);
      expect(config.logLevel).to.equal('debug');
      expect(config.database.url).to.equal(undefined);
      expect(config.embeddedDatabase.dataDir).to.equal(path.join(projectRoot(), '.data', 'postgres'));
    });

    it('defaults the time budgets so that connect < acquire < statement and shutdown stays under 30 s', () => {
      const config = loadConfig({ NODE_ENV: 'development' });

      expect(config.database.connectTimeoutMs).to.be.below(config.database.pool.acquireMs);
      expect(config.database.pool.acquireMs).to.be.below(config.database.statementTimeoutMs);
      expect(config.shutdown.timeoutMs).to.be.below(30_000);
    });

    it('uses DATABASE_URL when it is set', () => {
      const config = loadConfig({ NODE_ENV: 'development', DATABASE_URL });

      expect(config.database.url).to.equal(DATABASE_URL);
    });

    it('resolves EMBEDDED_DATABASE_DIR to an absolute path when it is set', () => {
      const config = loadConfig({ EMBEDDED_DATABASE_DIR: 'tmp/pg-data' });

      expect(path.isAbsolute(config.embeddedDatabase.dataDir)).to.equal(true);
      expect(config.embeddedDatabase.dataDir.endsWith(path.join('tmp', 'pg-data'))).to.equal(true);
    });
  });

  describe('log level', () => {
    it('defaults to silent in the test environment', () => {
      expect(loadConfig({ NODE_ENV: 'test' }).logLevel).to.equal('silent');
    });

    it('defaults to info in staging and production', () => {
      expect(loadConfig(deployedEnv('staging')).logLevel).to.equal('info');
      expect(loadConfig(deployedEnv('production')).logLevel).to.equal('info');
    });

    it('follows LOG_LEVEL when it is set', () => {
      expect(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn' }).logLevel).to.equal('warn');
    });

    it('rejects an unknown LOG_LEVEL, naming the variable', () => {
      const error = configErrorFrom({ LOG_LEVEL: 'loud' });

      expect(problemsAbout(error, 'LOG_LEVEL')).to.have.lengthOf(1);
    });
  });

  for (const nodeEnv of ['staging', 'production'] as const) {
    describe(`in ${nodeEnv}`, () => {
      for (const name of ['DATABASE_URL', 'AUTH_ISSUER']) {
        it(`refuses to load when ${name} is missing, naming the variable`, () => {
          const error = configErrorFrom(without(deployedEnv(nodeEnv), name));

          expect(error.message).to.include(name);
          expect(problemsAbout(error, name)).to.have.lengthOf(1);
        });

        it(`refuses to load when ${name} is the empty string, as if it were unset`, () => {
          const error = configErrorFrom(deployedEnv(nodeEnv, { [name]: '' }));

          expect(problemsAbout(error, name)).to.have.lengthOf(1);
        });
      }

      it('verifies the tokens of AUTH_ISSUER for AUTH_AUDIENCE', () => {
        const config = loadConfig(deployedEnv(nodeEnv));

        expect(config.env).to.equal(nodeEnv);
        expect(config.auth).to.deep.include({ enabled: true, issuer: ISSUER, audience: [AUDIENCE] });
        expect(config.auth.keys).to.deep.equal({ from: 'provider', jwksUrl: undefined });
        expect(config.database.url).to.equal(DATABASE_URL);
      });

      it('loads without an issuer only when AUTH=off says every route is public', () => {
        const config = loadConfig(deployedEnv(nodeEnv, { AUTH: 'off', AUTH_ISSUER: '', AUTH_AUDIENCE: '' }));

        expect(config.auth.enabled).to.equal(false);
      });

      it('ignores a SECRET_KEY, which keel no longer reads', () => {
        const config = loadConfig(deployedEnv(nodeEnv, { SECRET_KEY: 'short' }));

        expect(config).not.to.have.property('secretKey');
      });
    });
  }

  describe('DATABASE_URL', () => {
    const badUrls: ReadonlyArray<readonly [string, string]> = [
      ['a malformed URL', `postgres://u:${SENTINEL_PASSWORD}@:::`],
      ['a mysql:// URL', `mysql://u:${SENTINEL_PASSWORD}@h/db`],
      ['an https:// URL', `https://u:${SENTINEL_PASSWORD}@h/db`],
      ['a URL without a database name', `postgres://u:${SENTINEL_PASSWORD}@h`],
      ['a URL whose path is only a slash', `postgres://u:${SENTINEL_PASSWORD}@h:5432/`],
    ];
    for (const [label, url] of badUrls) {
      for (const nodeEnv of ['development', 'production'] as const) {
        it(`rejects ${label} in ${nodeEnv}, naming DATABASE_URL and never printing the password`, () => {
          const env = nodeEnv === 'production' ? deployedEnv(nodeEnv, { DATABASE_URL: url }) : { NODE_ENV: nodeEnv, DATABASE_URL: url };

          const error = configErrorFrom(env);

          expect(problemsAbout(error, 'DATABASE_URL')).to.have.lengthOf(1);
          expect(error.message).to.not.include(SENTINEL_PASSWORD);
          expect(error.stack ?? '').to.not.include(SENTINEL_PASSWORD);
        });
      }
    }

    // The password's own @ or / ends the user part early: postgres://u:p@ss/word@host/db names host "ss", database "word@host/db".
    const unencodedPasswords: ReadonlyArray<readonly [string, string]> = [
      ['an @ then a /', `postgres://u:${SENTINEL_PASSWORD}@ss/word@db.internal:5432/keel`],
      ['a / then an @', `postgres://u:${SENTINEL_PASSWORD}/ss@db.internal/keel`],
      ['an @ in a URL whose database name holds a /', `postgres://u:p@${SENTINEL_PASSWORD}@db.internal/keel/extra`],
    ];
    for (const [label, url] of unencodedPasswords) {
      it(`refuses a password holding ${label}, unencoded, with the hint to percent-encode it, never printing the URL or password`, () => {
        const error = configErrorFrom(deployedEnv('production', { DATABASE_URL: url }));

        const [problem] = problemsAbout(error, 'DATABASE_URL');
        expect(problem).to.include('percent-encode special characters in the password (@ as %40, / as %2F');
        expect(error.message).to.not.include(SENTINEL_PASSWORD);
        expect(error.message).to.not.include('db.internal');
        expect(error.stack ?? '').to.not.include(SENTINEL_PASSWORD);
      });
    }

    it('accepts the same password percent-encoded', () => {
      const url = `postgres://u:${encodeURIComponent('p@ss/word')}@db.internal:5432/keel`;

      expect(loadConfig({ DATABASE_URL: url }).database.url).to.equal(url);
    });

    it('accepts the postgresql:// scheme and a unix socket directory given as ?host=', () => {
      const url = 'postgresql:///keel?host=/var/run/postgresql';

      expect(loadConfig({ DATABASE_URL: url }).database.url).to.equal(url);
    });
  });

  describe('DATABASE_SSL', () => {
    it('defaults to off', () => {
      expect(loadConfig({}).database.ssl).to.equal('off');
    });

    for (const mode of ['off', 'no-verify', 'verify'] as const) {
      it(`accepts ${mode}`, () => {
        expect(loadConfig({ DATABASE_SSL: mode }).database.ssl).to.equal(mode);
      });
    }

    it('rejects any other value, naming the variable', () => {
      const error = configErrorFrom({ DATABASE_SSL: 'require' });

      expect(problemsAbout(error, 'DATABASE_SSL')).to.have.lengthOf(1);
    });
  });

  describe('API_DOCS', () => {
    for (const nodeEnv of ['development', 'test'] as const) {
      it(`turns the page at /docs on in ${nodeEnv} when unset`, () => {
        expect(loadConfig({ NODE_ENV: nodeEnv }).apiDocs.enabled).to.equal(true);
      });
    }

    for (const nodeEnv of ['staging', 'production'] as const) {
      it(`keeps the page at /docs off in ${nodeEnv} when unset, and turns it on with API_DOCS=on`, () => {
        expect(loadConfig(deployedEnv(nodeEnv)).apiDocs.enabled).to.equal(false);
        expect(loadConfig(deployedEnv(nodeEnv, { API_DOCS: 'on' })).apiDocs.enabled).to.equal(true);
      });
    }

    it('turns the page off in development with API_DOCS=off', () => {
      expect(loadConfig({ API_DOCS: 'off' }).apiDocs.enabled).to.equal(false);
    });

    it('rejects any other value, naming the variable', () => {
      const error = configErrorFrom({ API_DOCS: 'true' });

      expect(problemsAbout(error, 'API_DOCS')).to.deep.equal(['API_DOCS: must be one of on, off']);
    });
  });

  describe('NODE_ENV', () => {
    it('rejects an unknown environment, naming the variable', () => {
      const error = configErrorFrom({ NODE_ENV: 'prod' });

      expect(problemsAbout(error, 'NODE_ENV')).to.have.lengthOf(1);
    });

    it('treats an empty NODE_ENV as unset (development)', () => {
      expect(loadConfig({ NODE_ENV: '' }).env).to.equal('development');
    });
  });

  describe('PORT', () => {
    it('uses the platform port when it is set', () => {
      expect(loadConfig({ PORT: '8080' }).port).to.equal(8080);
    });

    it('accepts 0 (the OS picks a free port)', () => {
      expect(loadConfig({ PORT: '0' }).port).to.equal(0);
    });

    it('treats an empty PORT as unset (3000)', () => {
      expect(loadConfig({ PORT: '' }).port).to.equal(3000);
    });

    for (const bad of ['65536', '-1', 'http', '80.5', '3000abc']) {
      it(`rejects PORT=${bad}, naming the variable`, () => {
        const error = configErrorFrom({ PORT: bad });

        expect(problemsAbout(error, 'PORT')).to.have.lengthOf(1);
      });
    }
  });

  describe('integer settings', () => {
    // variable, value accepted, where the value lands in the config, a value out of range
    const table: ReadonlyArray<readonly [string, number, (config: Config) => number, string]> = [
      ['DB_POOL_MAX', 20, (c) => c.database.pool.max, '0'],
      ['DB_POOL_MIN', 2, (c) => c.database.pool.min, '-1'],
      ['DB_POOL_IDLE_MS', 30_000, (c) => c.database.pool.idleMs, '999'],
      ['DB_POOL_EVICT_MS', 5_000, (c) => c.database.pool.evictMs, '99'],
      ['DB_CONNECT_TIMEOUT_MS', 1_500, (c) => c.database.connectTimeoutMs, '60001'],
      ['DB_POOL_ACQUIRE_MS', 5_000, (c) => c.database.pool.acquireMs, '99'],
      ['DB_STATEMENT_TIMEOUT_MS', 15_000, (c) => c.database.statementTimeoutMs, '600001'],
      ['JSON_BODY_LIMIT_KB', 64, (c) => c.http.jsonBodyLimitBytes / 1024, '0'],
      ['SHUTDOWN_TIMEOUT_MS', 20_000, (c) => c.shutdown.timeoutMs, '30000'],
      ['EMBEDDED_DATABASE_PORT', 55_432, (c) => c.embeddedDatabase.port, '65536'],
    ];

    for (const [name, good, read, outOfRange] of table) {
      describe(name, () => {
        it('is read as a number when it is a whole number in range', () => {
          expect(read(loadConfig({ [name]: String(good) }))).to.equal(good);
        });

        it('rejects a value that is not a whole number, naming the variable', () => {
          const error = configErrorFrom({ [name]: `${good}.5` });

          expect(problemsAbout(error, name)).to.have.lengthOf(1);
        });

        it('rejects a word, naming the variable', () => {
          const error = configErrorFrom({ [name]: 'lots' });

          expect(problemsAbout(error, name)).to.have.lengthOf(1);
        });

        it(`rejects the out-of-range value ${outOfRange}, naming the variable`, () => {
          const error = configErrorFrom({ [name]: outOfRange });

          expect(problemsAbout(error, name)).to.have.lengthOf(1);
        });
      });
    }

    it('converts JSON_BODY_LIMIT_KB to bytes', () => {
      expect(loadConfig({ JSON_BODY_LIMIT_KB: '64' }).http.jsonBodyLimitBytes).to.equal(64 * 1024);
    });

    it('lowers DB_POOL_MIN to DB_POOL_MAX when it is larger', () => {
      const config = loadConfig({ DB_POOL_MAX: '5', DB_POOL_MIN: '8' });

      expect(config.database.pool.min).to.equal(5);
    });
  });

  describe('time budgets', () => {
    it('rejects DB_POOL_ACQUIRE_MS not above DB_CONNECT_TIMEOUT_MS, naming DB_POOL_ACQUIRE_MS', () => {
      const error = configErrorFrom({ DB_CONNECT_TIMEOUT_MS: '3000', DB_POOL_ACQUIRE_MS: '3000' });

      expect(problemsAbout(error, 'DB_POOL_ACQUIRE_MS')).to.have.lengthOf(1);
    });

    it('rejects DB_STATEMENT_TIMEOUT_MS not above DB_POOL_ACQUIRE_MS, naming DB_STATEMENT_TIMEOUT_MS', () => {
      const error = configErrorFrom({ DB_POOL_ACQUIRE_MS: '5000', DB_STATEMENT_TIMEOUT_MS: '4000' });

      expect(problemsAbout(error, 'DB_STATEMENT_TIMEOUT_MS')).to.have.lengthOf(1);
    });

    it('accepts budgets that nest strictly', () => {
      const config = loadConfig({ DB_CONNECT_TIMEOUT_MS: '1000', DB_POOL_ACQUIRE_MS: '1001', DB_STATEMENT_TIMEOUT_MS: '1002' });

      expect(config.database.statementTimeoutMs).to.equal(1002);
    });
  });

  describe('errors', () => {
    it('reports every bad variable in one ConfigError', () => {
      const error = configErrorFrom({
        NODE_ENV: 'production',
        DATABASE_URL: `mysql://u:${SENTINEL_PASSWORD}@h/db`,
        AUTH_ISSUER: `https://u:${SENTINEL_PASSWORD}@id.example.com`,
        PORT: 'eighty',
        DB_POOL_MAX: '0',
      });

      for (const name of ['DATABASE_URL', 'AUTH_ISSUER', 'PORT', 'DB_POOL_MAX']) {
        expect(problemsAbout(error, name), name).to.have.lengthOf(1);
        expect(error.message).to.include(name);
      }
      expect(error.message).to.not.include(SENTINEL_PASSWORD);
    });

    it('is a ConfigError named ConfigError', () => {
      const error = configErrorFrom({ PORT: 'x' });

      expect(error.name).to.equal('ConfigError');
      expect(error).to.be.instanceOf(Error);
    });
  });

  describe('the returned config', () => {
    it('is deeply frozen', () => {
      const config = loadConfig(deployedEnv('production'));

      expectDeeplyFrozen(config, 'config');
    });

    it('throws when code tries to change it', () => {
      const config = loadConfig({});
      const pool = config.database.pool as { max: number };

      expect(() => {
        pool.max = 99;
      }).to.throw(TypeError);
      expect(config.database.pool.max).to.not.equal(99);
    });
  });
});

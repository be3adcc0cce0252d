import { expect } from 'chai';
import sinon from 'sinon';
import databaseConfig, { cliOptions, sequelizeOptions } from '../../config/database';

const SENTINEL_PASSWORD = 'SENTINEL_PW_123';

type Settings = Parameters<typeof sequelizeOptions>[0];

function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    url: 'postgres://keel:pw@db.internal:6543/keel_db',
    ssl: 'off',
    pool: { max: 7, min: 1, idleMs: 11_000, evictMs: 1_100, acquireMs: 4_400 },
    connectTimeoutMs: 2_200,
    ...overrides,
  };
}

function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(Error);
    return error as Error;
  }
  return expect.fail('expected an error');
}

describe('sequelizeOptions', () => {
  it('takes host, port, user, password and database out of the URL for the postgres dialect', () => {
    const options = sequelizeOptions(settings({ url: 'postgres://keel:pw@db.internal:6543/keel_db' }));

    expect(options.dialect).to.equal('postgres');
    expect(options.host).to.equal('db.internal');
    expect(options.port).to.equal(6543);
    expect(options.username).to.equal('keel');
    expect(options.password).to.equal('pw');
    expect(options.database).to.equal('keel_db');
  });

  it('decodes a percent-encoded user, password and database name', () => {
    const options = sequelizeOptions(settings({ url: 'postgres://us%40er:p%40ss%2Fw%3Ard@h/my%20db' }));

    expect(options.username).to.equal('us@er');
    expect(options.password).to.equal('p@ss/w:rd');
    expect(options.database).to.equal('my db');
  });

  it('defaults the port to 5432 when the URL names none', () => {
    expect(sequelizeOptions(settings({ url: 'postgres://u:p@h/db' })).port).to.equal(5432);
  });

  it('strips the brackets from an IPv6 host', () => {
    const options = sequelizeOptions(settings({ url: 'postgres://u:p@[::1]:5433/db' }));

    expect(options.host).to.equal('::1');
    expect(options.port).to.equal(5433);
  });

  it('uses the ?host= parameter as the host when it names a unix socket directory', () => {
    const options = sequelizeOptions(settings({ url: 'postgres://u:p@localhost/db?host=/var/run/postgresql' }));

    expect(options.host).to.equal('/var/run/postgresql');
    expect(options.database).to.equal('db');
  });

  it('accepts a URL with no host at all when ?host= is given', () => {
    const options = sequelizeOptions(settings({ url: 'postgresql:///db?host=/tmp' }));

    expect(options.host).to.equal('/tmp');
    expect(options.database).to.equal('db');
  });

  const sslModes: ReadonlyArray<readonly [Settings['ssl'], false | { rejectUnauthorized: boolean }]> = [
    ['off', false],
    ['no-verify', { rejectUnauthorized: false }],
    ['verify', { rejectUnauthorized: true }],
  ];
  for (const [mode, expected] of sslModes) {
    it(`maps DATABASE_SSL=${mode} to the driver ssl option ${JSON.stringify(expected)}`, () => {
      expect(sequelizeOptions(settings({ ssl: mode })).dialectOptions.ssl).to.deep.equal(expected);
    });
  }

  it('maps the pool settings to Sequelize pool options and the connect timeout to the driver', () => {
    const options = sequelizeOptions(
      settings({ pool: { max: 9, min: 2, idleMs: 12_345, evictMs: 1_234, acquireMs: 5_678 }, connectTimeoutMs: 3_210 }),
    );

    expect(options.pool).to.deep.equal({ max: 9, min: 2, idle: 12_345, evict: 1_234, acquire: 5_678 });
    expect(options.dialectOptions.connectionTimeoutMillis).to.equal(3_210);
  });
});

describe('cliOptions', () => {
  it('throws an error naming DATABASE_URL when it is unset', () => {
    const error = thrownBy(() => cliOptions({}));

    expect(error.message).to.include('DATABASE_URL');
  });

  it('throws an error naming DATABASE_URL when it is malformed, without printing the password', () => {
    const error = thrownBy(() => cliOptions({ DATABASE_URL: `postgres://u:${SENTINEL_PASSWORD}@:::` }));

    expect(error.message).to.include('DATABASE_URL');
    expect(error.message).to.not.include(SENTINEL_PASSWORD);
    expect(error.stack ?? '').to.not.include(SENTINEL_PASSWORD);
  });

  it('throws an error naming DATABASE_URL when its scheme is not postgres, without printing the password', () => {
    const error = thrownBy(() => cliOptions({ DATABASE_URL: `mysql://u:${SENTINEL_PASSWORD}@h/db` }));

    expect(error.message).to.include('DATABASE_URL');
    expect(error.message).to.not.include(SENTINEL_PASSWORD);
  });

  it('throws an error naming a pool variable that is not a whole number', () => {
    const error = thrownBy(() => cliOptions({ DATABASE_URL: 'postgres://u:p@h/db', DB_POOL_ACQUIRE_MS: 'soon' }));

    expect(error.message).to.include('DB_POOL_ACQUIRE_MS');
  });

  it('builds the connection options from DATABASE_URL and DATABASE_SSL', () => {
    const options = cliOptions({ DATABASE_URL: 'postgres://migrator:m%23pw@db.example:5544/app', DATABASE_SSL: 'no-verify' });

    expect(options.host).to.equal('db.example');
    expect(options.port).to.equal(5544);
    expect(options.username).to.equal('migrator');
    expect(options.password).to.equal('m#pw');
    expect(options.database).to.equal('app');
    expect(options.dialectOptions.ssl).to.deep.equal({ rejectUnauthorized: false });
  });

  it('reads the acquire and connect timeouts from the environment', () => {
    const options = cliOptions({ DATABASE_URL: 'postgres://u:p@h/db', DB_POOL_ACQUIRE_MS: '7000', DB_CONNECT_TIMEOUT_MS: '3000' });

    expect(options.pool.acquire).to.equal(7000);
    expect(options.dialectOptions.connectionTimeoutMillis).to.equal(3000);
  });

  it('sets lock_timeout and statement_timeout on every migration connection from the MIGRATION_ variables', () => {
    const options = cliOptions({
      DATABASE_URL: 'postgres://u:p@h/db',
      MIGRATE_LOCK_TIMEOUT_MS: '1500',
      MIGRATE_STATEMENT_TIMEOUT_MS: '90000',
    });

    expect(options.dialectOptions).to.include({ lock_timeout: 1500, statement_timeout: 90_000, application_name: 'keel-migrate' });
  });

  it('defaults the migration lock timeout to 5 s and the statement timeout to 60 s', () => {
    expect(cliOptions({ DATABASE_URL: 'postgres://u:p@h/db' }).dialectOptions).to.include({
      lock_timeout: 5000,
      statement_timeout: 60_000,
    });
  });

  it('treats empty values as unset, as loadConfig does for the web process', () => {
    const empty = { DATABASE_SSL: '', DB_POOL_IDLE_MS: '', DB_CONNECT_TIMEOUT_MS: '', MIGRATE_LOCK_TIMEOUT_MS: '' };

    expect(cliOptions({ DATABASE_URL: 'postgres://u:p@h/db', ...empty })).to.deep.equal(
      cliOptions({ DATABASE_URL: 'postgres://u:p@h/db' }),
    );
  });

  it('throws an error naming DATABASE_URL when it is set to the empty string', () => {
    expect(thrownBy(() => cliOptions({ DATABASE_URL: '' })).message).to.match(/DATABASE_URL: PostgreSQL connection URL/);
  });
});

describe('config/database.js default export', () => {
  afterEach(() => sinon.restore());

  it('is a function that sequelize-cli calls to get options from process.env', () => {
    sinon.stub(process, 'env').value({ DATABASE_URL: 'postgres://cli:pw@cli.host:5433/cli_db' });

    expect(databaseConfig).to.be.a('function');
    const options = databaseConfig();

    expect(options.host).to.equal('cli.host');
    expect(options.database).to.equal('cli_db');
  });
});

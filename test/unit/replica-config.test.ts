import { expect } from 'chai';
import { sequelizeOptions } from '../../config/database';
import { ConfigError, loadConfig } from '../../config/env';

const SENTINEL_PASSWORD = 'SENTINEL_PW_123';
const DATABASE_URL = 'postgres://keel:db-password@db.internal:5432/keel';

function configErrorFrom(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  return expect.fail(`expected loadConfig to throw a ConfigError for ${JSON.stringify(Object.keys(env))}`);
}

type Settings = Parameters<typeof sequelizeOptions>[0];

function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    url: 'postgres://keel:pw@primary.internal:6543/keel_db',
    ssl: 'off',
    sslCa: undefined,
    pool: { max: 7, min: 1, idleMs: 11_000, evictMs: 1_100, acquireMs: 4_400 },
    connectTimeoutMs: 2_200,
    ...overrides,
  };
}

describe('DATABASE_REPLICA_URLS', () => {
  it('defaults to no replicas', () => {
    expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL }).database.replicaUrls).to.deep.equal([]);
  });

  it('reads a comma-separated list, trimming spaces and ignoring empty entries', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL,
      DATABASE_REPLICA_URLS: ' postgres://ro:a@replica-1/keel ,, postgresql://ro:b@replica-2:6432/keel,',
    });

    expect(config.database.replicaUrls).to.deep.equal(['postgres://ro:a@replica-1/keel', 'postgresql://ro:b@replica-2:6432/keel']);
  });

  const malformed: [label: string, entry: string][] = [
    ['an entry that is not a URL', `ro:${SENTINEL_PASSWORD}@replica/keel`],
    ['an entry with another scheme', `mysql://ro:${SENTINEL_PASSWORD}@replica/keel`],
    ['an entry naming no database', `postgres://ro:${SENTINEL_PASSWORD}@replica`],
    ['an entry naming no host', `postgres://ro:${SENTINEL_PASSWORD}@/keel`],
  ];
  for (const [label, entry] of malformed) {
    it(`rejects ${label}, naming the variable and the entry's position without echoing the password`, () => {
      const error = configErrorFrom({
        NODE_ENV: 'test',
        DATABASE_URL,
        DATABASE_REPLICA_URLS: `postgres://ro:${SENTINEL_PASSWORD}@replica-1/keel,${entry}`,
      });

      const problems = error.problems.filter((problem) => problem.startsWith('DATABASE_REPLICA_URLS:'));
      expect(problems, error.message).to.have.length(1);
      expect(problems[0]).to.include('entry 2');
      expect(error.message).not.to.include(SENTINEL_PASSWORD);
    });
  }
});

describe('MIGRATIONS_PENDING_READINESS', () => {
  it('defaults to warn', () => {
    expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL }).health.pendingMigrations).to.equal('warn');
  });

  it('accepts fail', () => {
    expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL, MIGRATIONS_PENDING_READINESS: 'fail' }).health.pendingMigrations).to.equal('fail');
  });

  it('rejects any other value, naming the variable', () => {
    const error = configErrorFrom({ NODE_ENV: 'test', DATABASE_URL, MIGRATIONS_PENDING_READINESS: 'ignore' });

    expect(
      error.problems.some((problem) => problem.startsWith('MIGRATIONS_PENDING_READINESS:')),
      error.message,
    ).to.equal(true);
  });
});

describe('sequelizeOptions with replica URLs', () => {
  it('turns on Sequelize replication: writes to the primary, reads to each replica, each taken apart from its URL', () => {
    const options = sequelizeOptions(
      settings({ replicaUrls: ['postgres://ro:r%40w@replica-1.internal/keel_ro', 'postgresql://ro2:pw2@replica-2.internal:6432/keel_db'] }),
    );

    const driver = { connectionTimeoutMillis: 2_200, keepAlive: true, ssl: false };
    expect(options.replication).to.deep.equal({
      write: { host: 'primary.internal', port: 6543, username: 'keel', password: 'pw', database: 'keel_db', dialectOptions: driver },
      read: [
        { host: 'replica-1.internal', port: 5432, username: 'ro', password: 'r@w', database: 'keel_ro', dialectOptions: driver },
        { host: 'replica-2.internal', port: 6432, username: 'ro2', password: 'pw2', database: 'keel_db', dialectOptions: driver },
      ],
    });
  });

  it("gives each replica the TLS of its own URL's sslmode, and the others DATABASE_SSL's", () => {
    const options = sequelizeOptions(
      settings({
        ssl: 'verify',
        replicaUrls: ['postgres://ro:pw@replica-1.internal/keel?sslmode=require', 'postgres://ro:pw@replica-2.internal/keel'],
      }),
    );

    expect(options.replication?.read.map((read) => read.dialectOptions.ssl)).to.deep.equal([
      { rejectUnauthorized: false },
      { rejectUnauthorized: true },
    ]);
  });

  it('leaves replication off when the list is empty or absent', () => {
    expect(sequelizeOptions(settings({ replicaUrls: [] }))).not.to.have.property('replication');
    expect(sequelizeOptions(settings())).not.to.have.property('replication');
  });
});

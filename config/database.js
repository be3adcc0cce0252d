'use strict';
// The one place that turns environment settings into Sequelize options. The app imports
// databaseSpec and sequelizeOptions; sequelize-cli (through .sequelizerc and config/sequelize-cli.js)
// uses cliOptions, so `npx sequelize-cli db:migrate` needs no build step and no dev dependency.
const { cleanEnv, str } = require('envalid');
const { certificateAuthority, postgresUrl, integerBetween, withoutEmptyValues } = require('./validators');
const { DATABASE_SSL_MODES, defaultDatabaseSsl, tlsOption } = require('./database-tls');

const databaseSpec = {
  DATABASE_URL: postgresUrl({
    default: undefined,
    desc: 'PostgreSQL connection URL (postgres://user:password@host:port/database); required in staging and production',
  }),
  DATABASE_SSL: str({
    choices: DATABASE_SSL_MODES,
    default: undefined,
    desc:
      'TLS to the database for URLs without sslmode: off, no-verify (encrypted, certificate not checked, as Heroku Postgres needs) ' +
      'or verify; default verify in staging and production, off elsewhere',
  }),
  DATABASE_SSL_CA: certificateAuthority({
    default: undefined,
    desc: 'CA certificate(s) that signed the database server certificate, as PEM text or a file path; verification uses it',
  }),
  DB_POOL_MAX: integerBetween(1, 1000)({ default: 10, desc: 'most connections this process keeps open' }),
  DB_POOL_MIN: integerBetween(0, 1000)({ default: 0, desc: 'connections kept open while idle' }),
  DB_POOL_IDLE_MS: integerBetween(
    1000,
    3_600_000,
  )({ default: 10_000, desc: 'an idle connection above the minimum is closed after this long' }),
  DB_POOL_EVICT_MS: integerBetween(100, 3_600_000)({ default: 1_000, desc: 'how often idle connections are checked for closing' }),
  DB_CONNECT_TIMEOUT_MS: integerBetween(100, 60_000)({ default: 2_000, desc: 'bound on opening one physical connection' }),
  DB_POOL_ACQUIRE_MS: integerBetween(
    100,
    60_000,
  )({ default: 4_000, desc: 'bound on waiting for a pooled connection (must exceed DB_CONNECT_TIMEOUT_MS)' }),
  DB_STATEMENT_TIMEOUT_MS: integerBetween(
    100,
    600_000,
  )({ default: 10_000, desc: 'server-side bound on one SQL statement (must exceed DB_POOL_ACQUIRE_MS)' }),
  MIGRATE_LOCK_TIMEOUT_MS: integerBetween(
    100,
    600_000,
  )({
    default: 5_000,
    desc: 'a migration statement waiting longer than this for a lock fails, instead of queueing every query on that table behind it',
  }),
  MIGRATE_STATEMENT_TIMEOUT_MS: integerBetween(
    100,
    3_600_000,
  )({ default: 60_000, desc: 'server-side bound on one migration statement (the release phase fails rather than hold its locks longer)' }),
};

/**
 * The settings of config/env.ts's DatabaseConfig that connections need, with the URL known.
 * @typedef {Pick<import('./env').DatabaseConfig, 'ssl' | 'sslCa' | 'pool' | 'connectTimeoutMs'> & { url: string }} DatabaseSettings
 */

/**
 * Where one server is and who to log in as, taken apart from its URL (not handed to Sequelize or
 * the CLI as a string) so that percent-encoded passwords work and no library echoes the URL in
 * an error message.
 * @param {string} urlString
 */
function connectionFields(urlString) {
  const url = new URL(urlString);
  const hostParam = url.searchParams.get('host');
  return {
    host: hostParam || url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : 5432,
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
  };
}

/**
 * One server's connection fields and driver options. Each server carries its own dialectOptions
 * because each URL may carry its own sslmode (Sequelize does not merge them with the top level's).
 * @template {object} D
 * @param {string} urlString
 * @param {DatabaseSettings} settings
 * @param {D} driverOptions
 */
function serverOptions(urlString, settings, driverOptions) {
  const fields = connectionFields(urlString);
  return {
    ...fields,
    dialectOptions: {
      connectionTimeoutMillis: settings.connectTimeoutMs,
      keepAlive: true,
      ...driverOptions,
      ssl: tlsOption(new URL(urlString), fields.host, { ssl: settings.ssl, sslCa: settings.sslCa }),
    },
  };
}

/**
 * Connection and pool options for Sequelize. With replica URLs, `replication.read` holds each
 * replica's connection fields: createDatabase gives each its own pool (lib/keel/db/replica-pools.ts)
 * instead of handing them to Sequelize's single read pool.
 * @template {object} [D={}]
 * @param {DatabaseSettings & { replicaUrls?: readonly string[] }} settings
 * @param {D} [driverOptions] more pg Client options for every server
 */
function sequelizeOptions(settings, driverOptions) {
  const extra = driverOptions ?? /** @type {D} */ ({});
  const primary = serverOptions(settings.url, settings, extra);
  const replicas = settings.replicaUrls ?? [];
  return {
    dialect: /** @type {const} */ ('postgres'),
    ...primary,
    ...(replicas.length > 0 ? { replication: { write: primary, read: replicas.map((url) => serverOptions(url, settings, extra)) } } : {}),
    pool: {
      max: settings.pool.max,
      min: settings.pool.min,
      idle: settings.pool.idleMs,
      evict: settings.pool.evictMs,
      acquire: settings.pool.acquireMs,
    },
    logging: false,
    // Seeders are recorded (in SequelizeData) like migrations, so db:seed:all can run twice.
    seederStorage: 'sequelize',
  };
}

/** How migration sessions show in pg_stat_activity. */
const MIGRATION_APPLICATION_NAME = 'keel-migrate';

/**
 * Reads the database settings from an environment for sequelize-cli. Errors name the variable and
 * the rule, never the value.
 * @param {NodeJS.ProcessEnv} env
 */
function cliOptions(env) {
  const errors = /** @type {string[]} */ ([]);
  const clean = cleanEnv(withoutEmptyValues(env), databaseSpec, {
    reporter: ({ errors: found }) => {
      for (const [name, error] of Object.entries(found)) errors.push(`${name}: ${error.message}`);
    },
  });
  if (!errors.length && !clean.DATABASE_URL) errors.push(`DATABASE_URL: ${databaseSpec.DATABASE_URL.desc}`);
  if (errors.length) throw new Error(`invalid database configuration:\n  ${errors.join('\n  ')}`);
  return sequelizeOptions(
    {
      url: /** @type {string} */ (clean.DATABASE_URL),
      ssl: clean.DATABASE_SSL ?? defaultDatabaseSsl(env.NODE_ENV),
      sslCa: clean.DATABASE_SSL_CA,
      pool: { max: 2, min: 0, idleMs: clean.DB_POOL_IDLE_MS, evictMs: clean.DB_POOL_EVICT_MS, acquireMs: clean.DB_POOL_ACQUIRE_MS },
      connectTimeoutMs: clean.DB_CONNECT_TIMEOUT_MS,
    },
    // Startup parameters, so they hold on every connection the CLI opens, over any role default.
    {
      application_name: MIGRATION_APPLICATION_NAME,
      lock_timeout: clean.MIGRATE_LOCK_TIMEOUT_MS,
      statement_timeout: clean.MIGRATE_STATEMENT_TIMEOUT_MS,
    },
  );
}

module.exports = { databaseSpec, sequelizeOptions, defaultDatabaseSsl, cliOptions, MIGRATION_APPLICATION_NAME };

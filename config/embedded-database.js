'use strict';
// Where the embedded PostgreSQL of development and test is and how to log in: one definition for
// the process that starts it (bin/boot.ts through db/embedded.ts) and for sequelize-cli, which
// only connects to it (config/sequelize-cli.js, loaded without a build).
const fs = require('fs');
const path = require('path');
const { str } = require('envalid');
const { Client } = require('pg');
const { integerBetween } = require('./validators');

const embeddedDatabaseSpec = {
  EMBEDDED_DATABASE_PORT: integerBetween(
    1,
    65_535,
  )({
    default: 54_329,
    desc: 'port of the embedded PostgreSQL started when DATABASE_URL is unset outside staging/production',
  }),
  EMBEDDED_DATABASE_DIR: str({
    default: undefined,
    desc: 'data directory of the embedded PostgreSQL (default: .data/postgres in the project)',
  }),
};

const EMBEDDED_DATABASE_USER = 'postgres';
const EMBEDDED_DATABASE_HOST = '127.0.0.1';
/** The service's database on the embedded server. */
const EMBEDDED_DATABASE_NAME = 'keel';

/**
 * The data directory asked for: EMBEDDED_DATABASE_DIR, or .data/postgres in the project.
 * @param {string | undefined} configured
 * @param {string} projectRoot
 */
function embeddedDataDir(configured, projectRoot) {
  return path.resolve(configured ?? path.join(projectRoot, '.data', 'postgres'));
}

/**
 * The superuser's random password is kept beside the data directory asked for, also when root's
 * PostgreSQL keeps the data elsewhere (db/embedded-placement.ts): that path never moves.
 * @param {string} dataDir the directory asked for
 */
function embeddedPasswordFile(dataDir) {
  return `${dataDir}.password`;
}

/**
 * The password of the server with its data in dataDir; undefined when none was ever started there.
 * @param {string} dataDir the directory asked for
 */
function readEmbeddedPassword(dataDir) {
  try {
    return fs.readFileSync(embeddedPasswordFile(dataDir), 'utf8').trim();
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * @param {string} password
 * @param {number} port
 * @param {string} databaseName
 */
function embeddedDatabaseUrl(password, port, databaseName) {
  return `postgres://${EMBEDDED_DATABASE_USER}:${encodeURIComponent(password)}@${EMBEDDED_DATABASE_HOST}:${port}/${encodeURIComponent(databaseName)}`;
}

/**
 * Why a server with these credentials does not answer at url (within a second); undefined when it does.
 * @param {string} url
 * @returns {Promise<NodeJS.ErrnoException | undefined>}
 */
async function connectionProblem(url) {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    await client.end().catch(() => undefined);
  }
}

module.exports = {
  embeddedDatabaseSpec,
  EMBEDDED_DATABASE_USER,
  EMBEDDED_DATABASE_HOST,
  EMBEDDED_DATABASE_NAME,
  embeddedDataDir,
  embeddedPasswordFile,
  readEmbeddedPassword,
  embeddedDatabaseUrl,
  connectionProblem,
};

'use strict';
// Where the embedded PostgreSQL of development and test is and how to log in: one definition for
// the process that starts it (bin/boot.ts through lib/keel/db/embedded.ts) and for sequelize-cli, which
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

/** The superuser initdb creates: administration only (the service role and its database). */
const EMBEDDED_DATABASE_SUPERUSER = 'postgres';
/**
 * The ordinary role keel and its migrations connect as: it owns the service's database, and a
 * superuser would bypass every row-level security policy.
 */
const EMBEDDED_DATABASE_ROLE = 'keel';
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
 * A role's random password is kept beside the data directory asked for, also when root's
 * PostgreSQL keeps the data elsewhere (lib/keel/db/embedded-placement.ts): that path never moves. The
 * superuser's file keeps the name it always had; the service role's is named after the role.
 * @param {string} dataDir the directory asked for
 * @param {string} [role]
 */
function embeddedPasswordFile(dataDir, role = EMBEDDED_DATABASE_SUPERUSER) {
  return role === EMBEDDED_DATABASE_SUPERUSER ? `${dataDir}.password` : `${dataDir}.${role}.password`;
}

/**
 * A role's password on the server with its data in dataDir; undefined when none was ever made there.
 * @param {string} dataDir the directory asked for
 * @param {string} [role]
 */
function readEmbeddedPassword(dataDir, role = EMBEDDED_DATABASE_SUPERUSER) {
  try {
    return fs.readFileSync(embeddedPasswordFile(dataDir, role), 'utf8').trim();
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * @param {string} role
 * @param {string} password
 * @param {number} port
 * @param {string} databaseName
 */
function embeddedDatabaseUrl(role, password, port, databaseName) {
  return `postgres://${role}:${encodeURIComponent(password)}@${EMBEDDED_DATABASE_HOST}:${port}/${encodeURIComponent(databaseName)}`;
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
  EMBEDDED_DATABASE_SUPERUSER,
  EMBEDDED_DATABASE_ROLE,
  EMBEDDED_DATABASE_HOST,
  EMBEDDED_DATABASE_NAME,
  embeddedDataDir,
  embeddedPasswordFile,
  readEmbeddedPassword,
  embeddedDatabaseUrl,
  connectionProblem,
};

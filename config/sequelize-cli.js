'use strict';
// sequelize-cli's configuration (.sequelizerc), for the commands people type (`npx sequelize-cli
// db:migrate`) and for keel's own runs (lib/keel/db/sequelize-cli.ts, which always sets DATABASE_URL). As the
// server does, development and test read .env and, without DATABASE_URL, use the embedded
// PostgreSQL: the one `npm start` runs, which this file only connects to, never starts.
const path = require('path');
const { cleanEnv } = require('envalid');
const { cliOptions } = require('./database');
const { applyDotEnvFile } = require('./dotenv-file');
const {
  EMBEDDED_DATABASE_HOST,
  EMBEDDED_DATABASE_NAME,
  EMBEDDED_DATABASE_ROLE,
  connectionProblem,
  embeddedDataDir,
  embeddedDatabaseSpec,
  embeddedDatabaseUrl,
  readEmbeddedPassword,
} = require('./embedded-database');
const { isDeployed } = require('./deployed');
const { withoutEmptyValues } = require('./validators');

// sequelize-cli loads this file from the source tree: the project root is its parent.
const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The npm script that does what a sequelize-cli command does, starting the embedded PostgreSQL if needed. */
const NPM_SCRIPTS = /** @type {Record<string, string>} */ ({
  'db:migrate:undo:all': 'npm run db:migrate:undo:all',
  'db:migrate:undo': 'npm run db:migrate:undo',
  'db:seed:undo:all': 'npm run db:seed:undo',
  'db:seed:all': 'npm run db:seed',
});

/** A problem the user fixes: its message is all there is to say. */
class SetupProblem extends Error {}

/**
 * @param {Record<string, string>} env
 * @param {string | undefined} command the sequelize-cli command being run
 */
async function embeddedOptions(env, command) {
  const problems = /** @type {string[]} */ ([]);
  const clean = cleanEnv(env, embeddedDatabaseSpec, {
    reporter: ({ errors }) => {
      for (const [name, error] of Object.entries(errors)) problems.push(`${name}: ${error.message}`);
    },
  });
  if (problems.length) throw new SetupProblem(`invalid database configuration:\n  ${problems.join('\n  ')}`);
  const port = clean.EMBEDDED_DATABASE_PORT;
  // As the server does: the ordinary role that owns the database, never the superuser.
  const password = readEmbeddedPassword(embeddedDataDir(clean.EMBEDDED_DATABASE_DIR, PROJECT_ROOT), EMBEDDED_DATABASE_ROLE);
  const url = password === undefined ? undefined : embeddedDatabaseUrl(EMBEDDED_DATABASE_ROLE, password, port, EMBEDDED_DATABASE_NAME);
  const problem = url === undefined ? undefined : await connectionProblem(url);
  if (url === undefined || problem?.code === 'ECONNREFUSED') {
    const script = (command && NPM_SCRIPTS[command]) ?? 'npm run db:migrate';
    throw new SetupProblem(
      `the embedded PostgreSQL (used while DATABASE_URL is unset) is not running on ${EMBEDDED_DATABASE_HOST}:${port}: ` +
        `start it with \`npm start\` in another terminal, or run \`${script}\`, which starts it`,
    );
  }
  if (problem) {
    throw new SetupProblem(
      `the embedded PostgreSQL on ${EMBEDDED_DATABASE_HOST}:${port} refused the connection (${problem.message}); ` +
        'if another server uses that port, set EMBEDDED_DATABASE_PORT to the one `npm start` uses',
    );
  }
  return cliOptions({ ...env, DATABASE_URL: url });
}

/** What sequelize-cli calls (it awaits the promise) for every command that touches the database. */
module.exports = async () => {
  try {
    const dotEnv = applyDotEnvFile(process.env, path.join(PROJECT_ROOT, '.env'));
    if (dotEnv.refused !== undefined) throw new SetupProblem(`invalid configuration:\n  ${dotEnv.refused}`);
    const env = withoutEmptyValues(process.env);
    if (env.DATABASE_URL || isDeployed(env.NODE_ENV)) return cliOptions(env);
    return await embeddedOptions(env, process.argv[2]);
  } catch (error) {
    // sequelize-cli would print a thrown error with its stack and the command's whole help text.
    // A configuration problem is for the user to fix, and its message (naming variables, never
    // values) says how: print just that and end the CLI here, as it would after its own errors.
    process.stderr.write(`keel: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
};

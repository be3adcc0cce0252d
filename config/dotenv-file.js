'use strict';
// The .env rules, in plain JS: the server reads them through config/dotenv.ts, and sequelize-cli
// (config/sequelize-cli.js) loads this file without a build.
const fs = require('fs');
const { parseEnv } = require('util');
const { isDeployed } = require('./deployed');

/**
 * Sets on env the variables of file that env lacks, outside staging and production. Refuses a file
 * that would make the process staging or production (NODE_ENV unset in the environment).
 * @param {NodeJS.ProcessEnv} env
 * @param {string} file
 * @returns {{ loaded: string[], refused?: undefined } | { refused: string }}
 */
function applyDotEnvFile(env, file) {
  if (isDeployed(env.NODE_ENV)) return { loaded: [] };
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return { loaded: [] };
    throw error;
  }
  const values = parseEnv(text);
  if (env.NODE_ENV === undefined && isDeployed(values.NODE_ENV)) {
    return {
      refused: 'NODE_ENV: a .env file is read in development and test only; set NODE_ENV=staging or production in the environment itself',
    };
  }
  const loaded = Object.keys(values).filter((name) => env[name] === undefined);
  for (const name of loaded) env[name] = values[name];
  return { loaded };
}

module.exports = { applyDotEnvFile };

'use strict';

/**
 * Staging and production are deployed: they get no embedded database, no .env file and no default
 * secrets.
 * @param {unknown} environment NODE_ENV
 */
function isDeployed(environment) {
  return environment === 'staging' || environment === 'production';
}

module.exports = { isDeployed };

'use strict';

/**
 * Staging and production are deployed: they get no embedded database, no default secrets and
 * verified database TLS. Plain JavaScript: sequelize-cli reads config/database.js without a build.
 * @param {unknown} environment NODE_ENV
 * @returns {boolean}
 */
function isDeployed(environment) {
  return environment === 'staging' || environment === 'production';
}

module.exports = { isDeployed };

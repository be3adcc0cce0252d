'use strict';
// __NAME__: describe what this migration changes and why.
// Conventions (docs/data.md#migrations-and-seeders): CommonJS, no imports of keel's own code (a
// migration is a snapshot: it must do tomorrow exactly what it did today), and reversible: DOWN
// undoes UP, statement by statement in reverse order. Each list runs in one transaction, so a
// statement that fails undoes the ones before it and the migration is not recorded.

/** @type {string[]} */
const UP = [
  // e.g. 'ALTER TABLE widgets ADD COLUMN colour text',
];

/** @type {string[]} */
const DOWN = [
  // e.g. 'ALTER TABLE widgets DROP COLUMN colour',
];

/**
 * @param {import('sequelize').QueryInterface} queryInterface
 * @param {string[]} statements
 * @param {'UP' | 'DOWN'} list
 */
async function run(queryInterface, statements, list) {
  // Recorded as applied, an empty migration would never run the statements added to it later.
  if (statements.length === 0) throw new Error(`migration __NAME__: its ${list} list has no statements yet`);
  await queryInterface.sequelize.transaction(async (transaction) => {
    for (const statement of statements) await queryInterface.sequelize.query(statement, { transaction });
  });
}

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    await run(queryInterface, UP, 'UP');
  },

  async down(queryInterface) {
    await run(queryInterface, DOWN, 'DOWN');
  },
};

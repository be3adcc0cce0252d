'use strict';
// __NAME__: describe what this migration does and why.
// Conventions (README, "Migrations and seeders"): CommonJS, no imports of keel's own code (a
// migration is a snapshot: it must do tomorrow exactly what it did today), reversible, and
// primary keys are time-ordered UUIDs from uuidv7() (built in from PostgreSQL 18, added by the
// foundation migration before that).

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('__TABLE__', {
      id: { type: Sequelize.UUID, primaryKey: true, allowNull: false, defaultValue: Sequelize.literal('uuidv7()') },
      created_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.literal('now()') },
      updated_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.literal('now()') },
    });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('__TABLE__');
  },
};

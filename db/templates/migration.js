'use strict';
// __NAME__: describe what this migration does and why.
// Conventions (docs/data.md#migrations-and-seeders): CommonJS, no imports of keel's own code (a
// migration is a snapshot: it must do tomorrow exactly what it did today), reversible, and
// primary keys are time-ordered UUIDs from uuidv7() (built in from PostgreSQL 18, added by the
// foundation migration before that). Every step runs in one transaction, so a step that fails
// undoes the ones before it and the migration is not recorded: pass { transaction } to each.

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    const columns = {
      id: { type: Sequelize.UUID, primaryKey: true, allowNull: false, defaultValue: Sequelize.literal('uuidv7()') },
      created_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.literal('now()') },
      updated_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.literal('now()') },
    };
    await queryInterface.sequelize.transaction(async (transaction) => {
      await queryInterface.createTable('__TABLE__', columns, { transaction });
      // Further steps here, each with { transaction }.
    });
  },

  async down(queryInterface) {
    await queryInterface.sequelize.transaction(async (transaction) => {
      await queryInterface.dropTable('__TABLE__', { transaction });
    });
  },
};

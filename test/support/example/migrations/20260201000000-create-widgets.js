'use strict';
// create-widgets: the example resource's tables. Each widget records the tenant and the user of the
// unit of work that created it, read from the transaction's settings (app/request-settings.ts).

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('widgets', {
      id: { type: Sequelize.UUID, primaryKey: true, allowNull: false, defaultValue: Sequelize.literal('uuidv7()') },
      name: { type: Sequelize.TEXT, allowNull: false },
      tenant_id: { type: Sequelize.TEXT, defaultValue: Sequelize.literal("current_setting('app.tenant_id', true)") },
      created_by: { type: Sequelize.TEXT, defaultValue: Sequelize.literal("current_setting('app.user_id', true)") },
      created_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.literal('now()') },
      updated_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.literal('now()') },
    });
    await queryInterface.createTable('parts', {
      id: { type: Sequelize.UUID, primaryKey: true, allowNull: false, defaultValue: Sequelize.literal('uuidv7()') },
      label: { type: Sequelize.TEXT, allowNull: false },
      widget_id: { type: Sequelize.UUID, allowNull: false, references: { model: 'widgets', key: 'id' }, onDelete: 'CASCADE' },
      created_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.literal('now()') },
      updated_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.literal('now()') },
    });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('parts');
    await queryInterface.dropTable('widgets');
  },
};

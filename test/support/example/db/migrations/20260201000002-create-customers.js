'use strict';
// create-customers: the customers table (npm run generate:resource).
// Conventions (docs/data.md#migrations-and-seeders): CommonJS, no imports of keel's own code (a
// migration is a snapshot: it must do tomorrow exactly what it did today), reversible, and
// primary keys are time-ordered UUIDs from uuidv7() (built in from PostgreSQL 18, added by the
// foundation migration before that). Every statement runs in one transaction, so one that fails
// undoes the ones before it and the migration is not recorded. CREATE TABLE, not CREATE TABLE IF
// NOT EXISTS: when a table of that name is already there, this migration must fail, not be
// recorded as having made it (db:migrate:undo would then drop a table it never made).

const STATEMENTS = [
  `
    CREATE TABLE "customers" (
      "id" uuid PRIMARY KEY DEFAULT uuidv7(),
      "name" varchar(255) NOT NULL,
      "email" text,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "customers_name_key" UNIQUE ("name")
    )
  `,
  // Further statements here (indexes, constraints, row-level security), in the order they run.
  // down() drops the table, and with it what the table owns (its indexes, constraints, policies);
  // a type or function made here needs its own DROP there.
];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.transaction(async (transaction) => {
      for (const statement of STATEMENTS) await queryInterface.sequelize.query(statement, { transaction });
    });
  },

  async down(queryInterface) {
    await queryInterface.sequelize.transaction(async (transaction) => {
      await queryInterface.sequelize.query('DROP TABLE "customers"', { transaction });
    });
  },
};

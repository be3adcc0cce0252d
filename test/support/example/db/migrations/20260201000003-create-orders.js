'use strict';
// create-orders: the orders table (npm run generate:resource).
// Conventions (docs/data.md#migrations-and-seeders): CommonJS, no imports of keel's own code (a
// migration is a snapshot: it must do tomorrow exactly what it did today), reversible, and
// primary keys are time-ordered UUIDs from uuidv7() (built in from PostgreSQL 18, added by the
// foundation migration before that). Every statement runs in one transaction, so one that fails
// undoes the ones before it and the migration is not recorded. CREATE TABLE, not CREATE TABLE IF
// NOT EXISTS: when a table of that name is already there, this migration must fail, not be
// recorded as having made it (db:migrate:undo would then drop a table it never made).
// Foreign keys: PostgreSQL refuses a row of orders whose parent does not exist, and decides
// what deleting a parent does to the rows that refer to it (RESTRICT: refused while any does).

const STATEMENTS = [
  `
    CREATE TABLE "orders" (
      "id" uuid PRIMARY KEY DEFAULT uuidv7(),
      "customer_id" uuid NOT NULL,
      "total" numeric(12,2) NOT NULL,
      "note" text,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "orders_customer_id_fkey" FOREIGN KEY ("customer_id")
        REFERENCES "customers" ("id") ON DELETE RESTRICT
    )
  `,
  // A customer's orders in id order: its page of them, and the foreign key's check when one is deleted.
  `CREATE INDEX "orders_customer_id_idx" ON "orders" ("customer_id", "id")`,
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
      await queryInterface.sequelize.query('DROP TABLE "orders"', { transaction });
    });
  },
};

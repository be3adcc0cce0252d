'use strict';
// create-stock-items: the stock_items table (npm run generate:resource).
// Conventions (docs/data.md#migrations-and-seeders): CommonJS, no imports of keel's own code (a
// migration is a snapshot: it must do tomorrow exactly what it did today), reversible, and
// primary keys are time-ordered UUIDs from uuidv7() (built in from PostgreSQL 18, added by the
// foundation migration before that). Every statement runs in one transaction, so one that fails
// undoes the ones before it and the migration is not recorded. CREATE TABLE, not CREATE TABLE IF
// NOT EXISTS: when a table of that name is already there, this migration must fail, not be
// recorded as having made it (db:migrate:undo would then drop a table it never made).
// Row-level security: a transaction sees and writes only the rows of its app.tenant_id setting
// (app/request-settings.ts); with none set it sees none. FORCE applies it to the table's owner too.
// Superusers and roles with BYPASSRLS are never subject to it: run the service as an ordinary role.
// UNIQUE ("tenant_id", "id") is what another tenant table's foreign key refers to, so that its rows
// refer only to rows of their own tenant (docs/data.md#relations); its index serves each tenant's pages.

const STATEMENTS = [
  `
    CREATE TABLE "stock_items" (
      "id" uuid PRIMARY KEY DEFAULT uuidv7(),
      "tenant_id" uuid NOT NULL DEFAULT nullif(current_setting('app.tenant_id', true), '')::uuid,
      "made_on" date NOT NULL,
      "label" varchar(255) NOT NULL,
      "weight" numeric(12,2) NOT NULL,
      "serial" bigint NOT NULL,
      "active" boolean NOT NULL,
      "ref" uuid,
      "seen_at" timestamptz,
      "body" text NOT NULL,
      "rank" integer NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "stock_items_tenant_id_id_key" UNIQUE ("tenant_id", "id"),
      CONSTRAINT "stock_items_label_key" UNIQUE ("tenant_id", "label")
    )
  `,
  `ALTER TABLE "stock_items" ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE "stock_items" FORCE ROW LEVEL SECURITY`,
  `
    CREATE POLICY "stock_items_tenant" ON "stock_items"
      USING ("tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid)
      WITH CHECK ("tenant_id" = nullif(current_setting('app.tenant_id', true), '')::uuid)
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
      await queryInterface.sequelize.query('DROP TABLE "stock_items"', { transaction });
    });
  },
};

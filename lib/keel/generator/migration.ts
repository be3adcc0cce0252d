// The migration: CommonJS, self-contained (it imports nothing of keel's), in one transaction, reversible.
import type { ResourceSpec } from './spec';
import { typeOf } from './types';

const TENANT_SETTING = "nullif(current_setting('app.tenant_id', true), '')::uuid";

/** Every identifier quoted, as the model's SQL is: a column may be a reserved word (order, user, check). */
const quoted = (name: string): string => `"${name}"`;

export function migrationSource(spec: ResourceSpec, name: string): string {
  const table = quoted(spec.plural);
  const elements = [
    '"id" uuid PRIMARY KEY DEFAULT uuidv7()',
    ...(spec.tenant ? [`"tenant_id" uuid NOT NULL DEFAULT ${TENANT_SETTING}`] : []),
    ...spec.fields.map((field) => `${quoted(field.name)} ${typeOf(field).sql}${field.optional ? '' : ' NOT NULL'}`),
    '"created_at" timestamptz NOT NULL DEFAULT now()',
    '"updated_at" timestamptz NOT NULL DEFAULT now()',
    ...spec.fields
      .filter((field) => field.unique)
      .map(
        (field) =>
          `CONSTRAINT ${quoted(`${spec.plural}_${field.name}_key`)} UNIQUE (${spec.tenant ? '"tenant_id", ' : ''}${quoted(field.name)})`,
      ),
  ];
  const statements = [`      CREATE TABLE ${table} (\n${elements.map((element) => `        ${element}`).join(',\n')}\n      )`];
  if (spec.tenant) {
    statements.push(
      `      CREATE INDEX ${quoted(`${spec.plural}_tenant_id_idx`)} ON ${table} ("tenant_id")`,
      `      ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
      `      ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
      `      CREATE POLICY ${quoted(`${spec.plural}_tenant`)} ON ${table}\n` +
        `        USING ("tenant_id" = ${TENANT_SETTING})\n` +
        `        WITH CHECK ("tenant_id" = ${TENANT_SETTING})`,
    );
  }
  const tenantNote = spec.tenant
    ? '\n// Row-level security: a transaction sees and writes only the rows of its app.tenant_id setting\n' +
      "// (app/request-settings.ts); with none set it sees none. FORCE applies it to the table's owner too.\n" +
      '// Superusers and roles with BYPASSRLS are never subject to it: run the service as an ordinary role.'
    : '';
  return `'use strict';
// ${name}: the ${spec.plural} table (npm run generate:resource).${tenantNote}

const STATEMENTS = [
${statements.map((statement) => `    \`\n${statement}\n    \``).join(',\n')},
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
      await queryInterface.sequelize.query('DROP TABLE ${table}', { transaction });
    });
  },
};
`;
}

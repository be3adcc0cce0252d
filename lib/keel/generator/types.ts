// How each field type is stored, typed, validated, shown as JSON, and sampled by the generated tests.
import type { Field, FieldType } from './spec';

interface TypeInfo {
  /** The column's SQL type in the migration. */
  readonly sql: string;
  /** Sequelize's DataTypes member in the model. */
  readonly dataType: string;
  /** The TypeScript type the model holds. */
  readonly tsType: string;
  /** The zod schema of the request's value. */
  readonly input: string;
  /** What input takes from lib/keel/schemas/values.ts (the values PostgreSQL stores as sent), if anything. */
  readonly uses?: string;
  /** The zod schema of the response's value. */
  readonly output: string;
  /**
   * TypeScript expression of a valid value made from the number n (distinct for distinct n). A reference's
   * is the id of a parent the test creates (files.ts), not a value made from n.
   */
  readonly sample: string;
  /** The same, spelt as PostgreSQL does not write it back (7.5 for 7.50): the answer shows what was stored. */
  readonly respelt?: string;
  /** The OpenAPI document's example value, as TypeScript source: fixed, valid for input and output. */
  readonly example: string;
  /** A value of the wrong kind, as TypeScript source. */
  readonly invalid: string;
  /** Whether the view turns the model's Date into ISO 8601. */
  readonly isoDate: boolean;
}

export const TYPES: Readonly<Record<FieldType, TypeInfo>> = {
  string: {
    sql: 'varchar(255)',
    dataType: 'STRING(255)',
    tsType: 'string',
    input: 'storableText().trim().min(1).max(255)',
    uses: 'storableText',
    output: 'z.string()',
    sample: '`value ${n}`',
    example: "'An example'",
    invalid: '42',
    isoDate: false,
  },
  text: {
    sql: 'text',
    dataType: 'TEXT',
    tsType: 'string',
    input: 'storableText()',
    uses: 'storableText',
    output: 'z.string()',
    sample: '`text ${n}`',
    example: "'Some longer text.'",
    invalid: '42',
    isoDate: false,
  },
  integer: {
    sql: 'integer',
    dataType: 'INTEGER',
    tsType: 'number',
    input: 'z.int().min(-2_147_483_648).max(2_147_483_647)',
    output: 'z.int()',
    sample: 'n',
    example: '3',
    invalid: "'many'",
    isoDate: false,
  },
  bigint: {
    sql: 'bigint',
    dataType: 'BIGINT',
    tsType: 'string',
    // Strings: JSON numbers lose precision beyond 2^53.
    input: 'storableBigint()',
    uses: 'storableBigint',
    output: 'z.string()',
    sample: '`${9_000_000_000 + n}`',
    respelt: '`00${9_000_000_000 + n}`',
    example: "'9007199254740993'",
    invalid: '42',
    isoDate: false,
  },
  decimal: {
    sql: 'numeric(12,2)',
    dataType: 'DECIMAL(12, 2)',
    tsType: 'string',
    // Strings: exact, as numeric is; at most 10 digits before the point and 2 after (numeric(12,2)).
    input: 'z.string().regex(/^-?[0-9]{1,10}(\\.[0-9]{1,2})?$/)',
    output: 'z.string()',
    sample: '`${n}.25`',
    respelt: '`${n}.5`',
    example: "'1234.50'",
    invalid: '1.5',
    isoDate: false,
  },
  boolean: {
    sql: 'boolean',
    dataType: 'BOOLEAN',
    tsType: 'boolean',
    input: 'z.boolean()',
    output: 'z.boolean()',
    sample: 'n % 2 === 0',
    example: 'true',
    invalid: "'yes'",
    isoDate: false,
  },
  uuid: {
    sql: 'uuid',
    dataType: 'UUID',
    tsType: 'string',
    input: 'z.uuid()',
    output: 'z.uuid()',
    sample: "`00000000-0000-4000-8000-${String(n).padStart(12, '0')}`",
    respelt: "`ABCDEF00-0000-4000-8000-${String(n).padStart(12, '0')}`",
    example: "'3f0c9a4e-5b7d-4e21-8c6a-9d2f1b0e7a54'",
    invalid: "'not-a-uuid'",
    isoDate: false,
  },
  date: {
    sql: 'date',
    dataType: 'DATEONLY',
    tsType: 'string',
    input: 'storableDate()',
    uses: 'storableDate',
    output: 'z.iso.date()',
    // n days after 2026-01-01: distinct for distinct n, as a unique date needs.
    sample: 'new Date(Date.UTC(2026, 0, 1 + n)).toISOString().slice(0, 10)',
    example: "'2026-01-15'",
    invalid: "'tomorrow'",
    isoDate: false,
  },
  timestamp: {
    sql: 'timestamptz',
    dataType: 'DATE',
    tsType: 'Date',
    input: 'storableTimestamp()',
    uses: 'storableTimestamp',
    output: 'z.iso.datetime()',
    sample: 'new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()',
    respelt: "new Date(Date.UTC(2026, 0, 2, 0, 0, n)).toISOString().replace('.000Z', '+00:00')",
    example: "'2026-01-15T09:30:00.000Z'",
    invalid: "'yesterday'",
    isoDate: true,
  },
  // The id of a row of another resource (customer:references: customer_id, customers.id), under a foreign key.
  references: {
    sql: 'uuid',
    dataType: 'UUID',
    tsType: 'string',
    input: 'z.uuid()',
    output: 'z.uuid()',
    sample: '',
    example: "'0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a2c'",
    invalid: "'not-a-uuid'",
    isoDate: false,
  },
};

export const typeOf = (field: Field): TypeInfo => TYPES[field.type];

// The model (app/models/<singular>.ts): camelCase attributes, as the JSON names them, each on its
// snake_case column.
import type { ResourceSpec } from './spec';
import { typeOf } from './types';

/** A column and the attribute it is read into: "unit_price" AS "unitPrice"; the name alone when both are one. */
const selected = (column: string, property: string): string => (column === property ? `"${column}"` : `"${column}" AS "${property}"`);

/**
 * An attribute whose column has another name says so, rather than Sequelize's `underscored: true`,
 * which would look for addressLine2 in a column address_line2, not address_line_2.
 */
const mapped = (column: string, property: string): string => (column === property ? '' : `, field: '${column}'`);

export function modelSource(spec: ResourceSpec): string {
  const { className, plural } = spec;
  const declarations = [
    '  declare id: CreationOptional<string>;',
    ...(spec.tenant
      ? [
          "  /** Set by the database from the transaction's app.tenant_id (app/request-settings.ts). */",
          '  declare tenantId: CreationOptional<string>;',
        ]
      : []),
    ...spec.fields.map((field) => `  declare ${field.property}: ${typeOf(field).tsType}${field.optional ? ' | null' : ''};`),
    '  declare createdAt: CreationOptional<Date>;',
    '  declare updatedAt: CreationOptional<Date>;',
  ];
  const attributes = [
    '        id: uuidPrimaryKey(),',
    // The database fills and checks it (NOT NULL, row-level security): nothing to validate here.
    ...(spec.tenant ? ["        tenantId: { type: DataTypes.UUID, field: 'tenant_id' },"] : []),
    ...spec.fields.map(
      (field) =>
        `        ${field.property}: { type: DataTypes.${typeOf(field).dataType}, allowNull: ${String(field.optional)}${mapped(field.name, field.property)} },`,
    ),
    "        createdAt: { type: DataTypes.DATE, field: 'created_at' },",
    "        updatedAt: { type: DataTypes.DATE, field: 'updated_at' },",
  ];
  const columns: [column: string, property: string][] = [
    ['id', 'id'],
    ...(spec.tenant ? [['tenant_id', 'tenantId'] as [string, string]] : []),
    ...spec.fields.map((field): [string, string] => [field.name, field.property]),
    ['created_at', 'createdAt'],
    ['updated_at', 'updatedAt'],
  ];
  const Row = `${className}Row`;
  return `import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { selectRows, uuidPrimaryKey } from '../../lib/keel/models';

/** A ${spec.noun} as read: its columns as plain values, named as the attributes. */
export type ${Row} = InferAttributes<${className}>;

// Reads are written out as SQL (lib/keel/models/rows.ts says why), each column named as its attribute;
// writes go through the model.
const COLUMNS = '${columns.map(([column, property]) => selected(column, property)).join(', ')}';

/** A row of ${plural} (db/migrations/*-create-${spec.pluralFile}.js). */
export class ${className} extends Model<InferAttributes<${className}>, InferCreationAttributes<${className}>> {
${declarations.join('\n')}

  static initModel(sequelize: Sequelize): typeof ${className} {
    return ${className}.init(
      {
${attributes.join('\n')}
      },
      { sequelize, tableName: '${plural}' },
    );
  }

  /** The ${spec.noun} with this id, if there is one. */
  static async findRow(id: string): Promise<${Row} | undefined> {
    const [row] = await selectRows<${Row}>(${className}, \`SELECT \${COLUMNS} FROM "${plural}" WHERE "id" = $1\`, [id]);
    return row;
  }

  /** Up to limit ${spec.nouns} in id order, which is creation order (UUIDv7); those after the id after when it is given. */
  static findPage(limit: number, after?: string): Promise<${Row}[]> {
    return after === undefined
      ? selectRows<${Row}>(${className}, \`SELECT \${COLUMNS} FROM "${plural}" ORDER BY "id" LIMIT $1\`, [limit])
      : selectRows<${Row}>(${className}, \`SELECT \${COLUMNS} FROM "${plural}" WHERE "id" > $1 ORDER BY "id" LIMIT $2\`, [after, limit]);
  }

  /**
   * Changes the ${spec.noun} with this id and returns it as stored (7.5 as 7.50), if there is one: one
   * UPDATE … RETURNING, so a row deleted by a transaction that committed meanwhile is none, not a change.
   */
  static async changeRow(id: string, changes: Partial<InferCreationAttributes<${className}>>): Promise<${className} | undefined> {
    const [, [row]] = await ${className}.update(changes, { where: { id }, returning: true });
    return row;
  }
}
`;
}

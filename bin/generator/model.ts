// The model (app/models/<singular>.ts): attributes named as the columns, snake_case like the JSON.
import type { ResourceSpec } from './spec';
import { typeOf } from './types';

export function modelSource(spec: ResourceSpec): string {
  const { className, plural } = spec;
  const declarations = [
    '  declare id: CreationOptional<string>;',
    ...(spec.tenant
      ? [
          "  /** Set by the database from the transaction's app.tenant_id (app/request-settings.ts). */",
          '  declare tenant_id: CreationOptional<string>;',
        ]
      : []),
    ...spec.fields.map((field) => `  declare ${field.name}: ${typeOf(field).tsType}${field.optional ? ' | null' : ''};`),
    '  declare created_at: CreationOptional<Date>;',
    '  declare updated_at: CreationOptional<Date>;',
  ];
  const attributes = [
    '        id: uuidPrimaryKey(),',
    // The database fills and checks it (NOT NULL, row-level security): nothing to validate here.
    ...(spec.tenant ? ['        tenant_id: DataTypes.UUID,'] : []),
    ...spec.fields.map(
      (field) => `        ${field.name}: { type: DataTypes.${typeOf(field).dataType}, allowNull: ${String(field.optional)} },`,
    ),
    '        created_at: DataTypes.DATE,',
    '        updated_at: DataTypes.DATE,',
  ];
  const columns = ['id', ...(spec.tenant ? ['tenant_id'] : []), ...spec.fields.map((field) => field.name), 'created_at', 'updated_at'];
  const Row = `${className}Row`;
  return `import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { uuidPrimaryKey } from './attributes';
import { selectRows } from './rows';

/** A ${spec.singular} as read: its columns as plain values. */
export type ${Row} = InferAttributes<${className}>;

// Reads are written out as SQL (app/models/rows.ts says why); writes go through the model.
const COLUMNS = '${columns.map((column) => `"${column}"`).join(', ')}';

/** A row of ${plural} (db/migrations/*-create-${plural}.js). */
export class ${className} extends Model<InferAttributes<${className}>, InferCreationAttributes<${className}>> {
${declarations.join('\n')}

  static initModel(sequelize: Sequelize): typeof ${className} {
    return ${className}.init(
      {
${attributes.join('\n')}
      },
      { sequelize, tableName: '${plural}', createdAt: 'created_at', updatedAt: 'updated_at' },
    );
  }

  /** The ${spec.singular} with this id, if there is one. */
  static async findRow(id: string): Promise<${Row} | undefined> {
    const [row] = await selectRows<${Row}>(${className}, \`SELECT \${COLUMNS} FROM "${plural}" WHERE "id" = $1\`, [id]);
    return row;
  }

  /** Up to limit ${plural} in id order, which is creation order (UUIDv7); those after the id after when it is given. */
  static findPage(limit: number, after?: string): Promise<${Row}[]> {
    return after === undefined
      ? selectRows<${Row}>(${className}, \`SELECT \${COLUMNS} FROM "${plural}" ORDER BY "id" LIMIT $1\`, [limit])
      : selectRows<${Row}>(${className}, \`SELECT \${COLUMNS} FROM "${plural}" WHERE "id" > $1 ORDER BY "id" LIMIT $2\`, [after, limit]);
  }
}
`;
}

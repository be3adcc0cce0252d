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
  return `import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { uuidPrimaryKey } from './attributes';

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
}
`;
}

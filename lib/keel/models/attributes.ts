import { DataTypes, literal, type ModelAttributeColumnOptions } from 'sequelize';

/**
 * A UUID primary key defaulting to uuidv7() in the database: built in from PostgreSQL 18, and
 * added by keel's foundation migration on older servers. Keys sort by creation time, which keeps
 * B-tree inserts local. The table template (lib/keel/generator/templates/create-table.js.eta), which
 * db:migration:new and the resource generator fill, declares the same column.
 */
export function uuidPrimaryKey(): ModelAttributeColumnOptions {
  return {
    type: DataTypes.UUID,
    primaryKey: true,
    allowNull: false,
    defaultValue: literal('uuidv7()'),
  };
}

import { DataTypes, literal, type ModelAttributeColumnOptions } from 'sequelize';

declare const valueType: unique symbol;

/**
 * A model attribute whose value has the type Value in a row. The type travels with the column's
 * options, so a model declares each of its columns once (RowOf reads the row's type off them) and a
 * column added later is one line (docs/data.md#adding-a-field).
 */
export type Attribute<Value> = ModelAttributeColumnOptions & { readonly [valueType]?: Value };

/** A model's attributes by name. */
export type Attributes = Readonly<Record<string, Attribute<unknown>>>;

/** A row of a model with these attributes: each attribute's value, by name. */
export type RowOf<A extends Attributes> = { -readonly [Name in keyof A]: A[Name] extends Attribute<infer Value> ? Value : never };

/** A column's options, typed with the value it holds in a row: attribute<string | null>({ type: DataTypes.TEXT, allowNull: true }). */
export function attribute<Value>(options: ModelAttributeColumnOptions): Attribute<Value> {
  return options;
}

/**
 * A UUID primary key defaulting to uuidv7() in the database: built in from PostgreSQL 18, and
 * added by keel's foundation migration on older servers. Keys sort by creation time, which keeps
 * B-tree inserts local. The table template (lib/keel/generator/templates/create-table.js.eta), which
 * db:migration:new and the resource generator fill, declares the same column.
 */
export function uuidPrimaryKey(): Attribute<string> {
  return {
    type: DataTypes.UUID,
    primaryKey: true,
    allowNull: false,
    defaultValue: literal('uuidv7()'),
  };
}

/** The timestamps Sequelize sets on create and update, in their snake_case columns. */
export function timestamps(): { createdAt: Attribute<Date>; updatedAt: Attribute<Date> } {
  return {
    createdAt: { type: DataTypes.DATE, field: 'created_at' },
    updatedAt: { type: DataTypes.DATE, field: 'updated_at' },
  };
}

/**
 * The select list of a written-out read (lib/keel/models/rows.ts): every column, named as its attribute
 * ("unit_price" AS "unitPrice"), in the attributes' order.
 */
export function selectListOf(attributes: Attributes): string {
  return Object.entries(attributes)
    .map(([name, { field = name }]) => (field === name ? `"${name}"` : `"${field}" AS "${name}"`))
    .join(', ');
}

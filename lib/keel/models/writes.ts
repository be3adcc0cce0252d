import type { Model, ModelStatic } from 'sequelize';
import { writeRows as writeOn } from '../db/writes';
import { selectListOf, type Attributes } from './attributes';

/** One statement and the values it binds ($1, $2, …). */
export interface Statement {
  readonly sql: string;
  readonly values: readonly unknown[];
}

/** A model's writes as SQL, each answering the rows it wrote with every column, named as its attribute. */
export interface WriteStatements {
  /** INSERT of the values given; the key and any column not given take the database's default. */
  insert(values: Readonly<Record<string, unknown>>): Statement;
  /** UPDATE of the columns given (updatedAt set too) on the row with this id. */
  update(id: string, changes: Readonly<Record<string, unknown>>): Statement;
  /** DELETE of the row with this id. */
  delete(id: string): Statement;
}

// Sequelize's names for the timestamps (lib/keel/models/attributes.ts timestamps()): set here as Model.create
// and Model.update set them, both to the same time on an insert.
const CREATED_AT = 'createdAt';
const UPDATED_AT = 'updatedAt';

/**
 * The INSERT, UPDATE and DELETE of a table, from the attributes its model declares (the same that declare
 * its reads): the model's writes as written-out statements (lib/keel/db/writes.ts says why), the columns
 * written those the caller gives, the key never. An attribute name is never taken from the values: a key
 * that names no attribute is left out, as Model.create leaves it.
 */
export function writeStatementsOf(table: string, attributes: Attributes): WriteStatements {
  const entries = Object.entries(attributes);
  const key = entries.find(([, options]) => options.primaryKey)?.[0] ?? 'id';
  const column = (name: string): string => `"${attributes[name]?.field ?? name}"`;
  const writable = entries.map(([name]) => name).filter((name) => name !== key && name !== CREATED_AT && name !== UPDATED_AT);
  const stamped = { createdAt: CREATED_AT in attributes, updatedAt: UPDATED_AT in attributes };
  const returning = `RETURNING ${selectListOf(attributes)}`;
  const quotedTable = `"${table}"`;
  // Statements by the columns they write: a resource's writes take a handful of shapes, each built once.
  const built = new Map<string, string>();
  const once = (shape: string, build: () => string): string => {
    let sql = built.get(shape);
    if (sql === undefined) built.set(shape, (sql = build()));
    return sql;
  };

  return {
    insert(values) {
      const names = writable.filter((name) => values[name] !== undefined);
      const bound: unknown[] = names.map((name) => values[name]);
      const columns = names.map(column);
      const now = new Date();
      if (stamped.createdAt) columns.push(column(CREATED_AT));
      if (stamped.updatedAt) columns.push(column(UPDATED_AT));
      if (stamped.createdAt || stamped.updatedAt) bound.push(now);
      const sql = once(`insert:${names.join(',')}`, () => {
        const placeholders = names.map((_, index) => `$${index + 1}`);
        if (stamped.createdAt) placeholders.push(`$${names.length + 1}`);
        if (stamped.updatedAt) placeholders.push(`$${names.length + 1}`);
        return columns.length === 0
          ? `INSERT INTO ${quotedTable} DEFAULT VALUES ${returning}`
          : `INSERT INTO ${quotedTable} (${columns.join(', ')}) VALUES (${placeholders.join(', ')}) ${returning}`;
      });
      return { sql, values: bound };
    },
    update(id, changes) {
      const names = writable.filter((name) => changes[name] !== undefined);
      const bound: unknown[] = names.map((name) => changes[name]);
      if (stamped.updatedAt) bound.push(new Date());
      bound.push(id);
      const sql = once(`update:${names.join(',')}`, () => {
        const sets = names.map((name, index) => `${column(name)} = $${index + 1}`);
        if (stamped.updatedAt) sets.push(`${column(UPDATED_AT)} = $${names.length + 1}`);
        // Nothing to change and no timestamp: the row as it is, if there is one.
        if (sets.length === 0) sets.push(`${column(key)} = ${column(key)}`);
        return `UPDATE ${quotedTable} SET ${sets.join(', ')} WHERE ${column(key)} = $${bound.length} ${returning}`;
      });
      return { sql, values: bound };
    },
    delete(id) {
      return { sql: once('delete', () => `DELETE FROM ${quotedTable} WHERE ${column(key)} = $1 RETURNING ${column(key)}`), values: [id] };
    },
  };
}

/**
 * The rows one written-out write answers (writeStatementsOf), on the model's database: in the unit of work's
 * transaction when there is one (lib/keel/db/writes.ts), failing with Sequelize's errors.
 */
export function writeRows<Row extends object>(model: ModelStatic<Model>, { sql, values }: Statement): Promise<Row[]> {
  const { sequelize } = model;
  if (!sequelize) throw new Error(`${model.name} is not initialised: add it to MODELS (app/models/index.ts)`);
  return writeOn<Row>(sequelize, sql, values);
}

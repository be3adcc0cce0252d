// What the generator reads of the project: the resources a references field may name, off the files
// generate:resource wrote for them (the model's table name, the migration's CREATE TABLE).
import fs from 'node:fs';
import path from 'node:path';
import { camel, resourceNames, UsageError, type FieldType, type Parent, type ParentField, type Resources } from './spec';
import { TYPES } from './types';

/** A column's field type by the SQL type the migration gives it (varchar(255): string); references are told by their foreign key. */
const TYPE_OF_SQL: ReadonlyMap<string, FieldType> = new Map(
  Object.entries(TYPES)
    .filter(([type]) => type !== 'references')
    .map(([type, info]) => [info.sql, type as FieldType]),
);
// Every resource has them, and the database fills them.
const FILLED = new Set(['id', 'tenant_id', 'created_at', 'updated_at']);
const COLUMN = /^\s*"([a-z][a-z0-9_]*)" ([a-z]+(?:\([0-9, ]+\))?)(.*)$/;
const FOREIGN_KEY = /FOREIGN KEY \(([^)]*)\)\s+REFERENCES "([a-z][a-z0-9_]*)"/g;
const TABLE_NAME = /tableName: '([a-z][a-z0-9_]*)'/;

/** The project's resources, read from app/models/ and db/migrations/ under root. */
export function projectResources(root: string): Resources {
  const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8');
  const list = (folder: string): string[] => (fs.existsSync(path.join(root, folder)) ? fs.readdirSync(path.join(root, folder)) : []);
  const models = (): string[] => list('app/models').filter((file) => file.endsWith('.ts') && file !== 'index.ts');

  /** The singular and plural of the resource a references field names, from its model file. */
  function locate(name: { readonly singular: string } | { readonly plural: string }): { singular: string; plural: string } {
    if ('singular' in name) {
      const model = `app/models/${name.singular.replace(/_/g, '-')}.ts`;
      if (!fs.existsSync(path.join(root, model))) {
        throw new UsageError(
          `field "${name.singular}": no resource to refer to, ${model} does not exist: generate the parent first, or name its plural (${name.singular}:references:<plural>)`,
        );
      }
      const plural = TABLE_NAME.exec(read(model))?.[1];
      if (plural === undefined) throw new UsageError(`${model} names no tableName: the generator cannot tell which table it refers to`);
      return { singular: name.singular, plural };
    }
    const model = models().find((file) => TABLE_NAME.exec(read(`app/models/${file}`))?.[1] === name.plural);
    if (model === undefined)
      throw new UsageError(`no resource ${name.plural} to refer to: no model in app/models/ has tableName '${name.plural}'`);
    return { singular: model.slice(0, -'.ts'.length).replace(/-/g, '_'), plural: name.plural };
  }

  function find(name: { readonly singular: string } | { readonly plural: string }, seen: readonly string[]): Parent {
    const { singular, plural } = locate(name);
    const names = resourceNames(plural, singular);
    const migrations = list('db/migrations');
    const migration = migrations.find((file) => file.endsWith(`-create-${names.pluralFile}.js`));
    if (migration === undefined) {
      throw new UsageError(
        `no resource ${plural} to refer to: db/migrations/ has no create-${names.pluralFile} migration, which makes its table`,
      );
    }
    if (seen.includes(plural)) throw new UsageError(`${[...seen, plural].join(' → ')}: these resources refer to each other in a cycle`);
    const source = read(`db/migrations/${migration}`);
    const table = new RegExp(`CREATE TABLE "${plural}" \\(\\n([\\s\\S]*?)\\n\\s*\\)`).exec(source)?.[1];
    if (table === undefined) {
      throw new UsageError(
        `db/migrations/${migration} has no CREATE TABLE "${plural}" as generate:resource writes it: its columns cannot be read`,
      );
    }
    const columns = table.split('\n').flatMap((line) => {
      const [, column = '', sql = '', rest = ''] = COLUMN.exec(line) ?? [];
      return column ? [{ column, sql, required: /NOT NULL/.test(rest) && !/DEFAULT|PRIMARY KEY/.test(rest) }] : [];
    });
    const parents = new Map(
      [...table.matchAll(FOREIGN_KEY)].map(([, keys = '', parent = '']) => [keys.replace(/"/g, '').split(', ').at(-1) ?? '', parent]),
    );
    const tenant = columns.some(({ column }) => column === 'tenant_id');
    const sameTenantKey = new RegExp(`(CREATE TABLE|ALTER TABLE) "${plural}"[^;\`]*?UNIQUE \\("tenant_id", "id"\\)`);
    if (tenant && !migrations.some((file) => sameTenantKey.test(read(`db/migrations/${file}`)))) {
      throw new UsageError(
        `${plural} have no UNIQUE ("tenant_id", "id"), which a reference kept inside its tenant refers to: add it to the table in a migration first`,
      );
    }
    const needs = columns
      .filter(({ column, required }) => required && !FILLED.has(column))
      .map(({ column, sql }): ParentField => {
        const parent = parents.get(column);
        if (parent !== undefined)
          return { property: camel(column), type: 'references', parent: find({ plural: parent }, [...seen, plural]) };
        const type = TYPE_OF_SQL.get(sql);
        if (type === undefined) {
          throw new UsageError(
            `${plural}.${column} is ${sql}: the tests generated with a reference create ${names.nouns}, and can fill only the types generate:resource writes`,
          );
        }
        return { property: camel(column), type };
      });
    return { ...names, tenant, needs };
  }

  return { find: (name) => find(name, []) };
}

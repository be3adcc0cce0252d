// The files of a resource, each rendered from its template (templates/<file>.eta) with the resource's spec.
import type { Field, Parent, ResourceSpec } from './spec';
import { render, TENANT_SETTING } from './templates';
import { TYPES, typeOf } from './types';

/** A test's value for a field: made from n, or, for a reference, the id of a parent it creates as the caller `as`. */
const sampleOf = (field: Pick<Field, 'type'> & { readonly parent?: Parent | undefined }): string =>
  field.parent ? `await create${field.parent.className}(as)` : TYPES[field.type].sample;

/**
 * The resources a test of spec creates rows of before its own: each reference's parent, and the parents those
 * need in turn, each once, with the body that creates one (what it needs, made from n).
 */
function ancestorsOf(spec: ResourceSpec) {
  const found = new Map<string, Parent>();
  const visit = (parent: Parent): void => {
    if (found.has(parent.plural)) return;
    found.set(parent.plural, parent);
    for (const need of parent.needs) if (need.parent) visit(need.parent);
  };
  for (const field of spec.fields) if (field.reference) visit(field.reference.parent);
  return [...found.values()].map((parent) => ({
    ...parent,
    body: parent.needs.map((need) => ({ property: need.property, sample: sampleOf(need) })),
    // Only a value made from n needs one; a parent's id does not.
    usesN: parent.needs.some((need) => !need.parent),
  }));
}

/** Where the files are written, as their imports need it: the path from app/<folder>/ to lib/keel. */
export interface Placement {
  readonly keel: string;
}

/** A project's own: its app/ beside its lib/keel. */
export const IN_PROJECT: Placement = { keel: '../../lib/keel' };

/** A noun with its article, as prose needs it: a widget, an order. */
const a = (noun: string): string => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
const A = (noun: string): string => a(noun).replace(/^a/, 'A');

/** What the templates are given: the spec, and each field with what its type needs (types.ts). */
function templateData(spec: ResourceSpec, { keel }: Placement = IN_PROJECT) {
  const fields = spec.fields.map((field) => {
    const type = typeOf(field);
    // A reference says in the document what its id is of.
    const role = field.name.slice(0, -'_id'.length).replace(/_/g, ' ');
    const parent = field.reference?.parent;
    const of = parent === undefined ? '' : role === parent.noun ? parent.noun : `${role}, a ${parent.noun}`;
    const described = parent ? `.meta({ description: 'The id of its ${of}.' })` : '';
    return {
      ...field,
      ...type,
      input: `${type.input}${described}`,
      output: `${type.output}${described}`,
      sample: sampleOf({ type: field.type, parent: field.reference?.parent }),
    };
  });
  const references = fields.flatMap((field) => (field.reference ? [{ ...field, ...field.reference }] : []));
  const columns: [column: string, property: string][] = [
    ['id', 'id'],
    ...(spec.tenant ? [['tenant_id', 'tenantId'] as [string, string]] : []),
    ...fields.map((field): [string, string] => [field.name, field.property]),
    ['created_at', 'createdAt'],
    ['updated_at', 'updatedAt'],
  ];
  const values = [...new Set(fields.flatMap((field) => field.uses ?? []))].sort();
  return { ...spec, fields, references, ancestors: ancestorsOf(spec), columns, values, tenantSetting: TENANT_SETTING, keel, a, A };
}

/** db/migrations/<stamp>-<name>.js: the table, from the template db:migration:new fills for create-<table>. */
export const migrationSource = (spec: ResourceSpec, name: string): string =>
  render('create-table.js', {
    ...templateData(spec),
    name,
    table: spec.plural,
    purpose: `the ${spec.plural} table (npm run generate:resource).`,
  });

/** app/models/<singular>.ts */
export const modelSource = (spec: ResourceSpec, placement?: Placement): string => render('model.ts', templateData(spec, placement));

/** app/schemas/<singular>.ts */
export const schemasSource = (spec: ResourceSpec, placement?: Placement): string => render('schemas.ts', templateData(spec, placement));

/** app/controllers/<plural>.ts */
export const controllerSource = (spec: ResourceSpec, placement?: Placement): string =>
  render('controller.ts', templateData(spec, placement));

/** app/views/<singular>.ts */
export const viewSource = (spec: ResourceSpec, placement?: Placement): string => render('view.ts', templateData(spec, placement));

/** test/app/<plural>.test.ts */
export const testSource = (spec: ResourceSpec): string => render('test.ts', templateData(spec));

/** What a field added later takes, as generate:migration writes it: its statements, and its lines for the model and the schemas. */
export interface AddedField {
  readonly up: readonly { readonly sql: string; readonly comment?: readonly string[] }[];
  readonly down: { readonly sql: string };
  /** Its line in the model's ATTRIBUTES. */
  readonly attribute: string;
  /** Its line in the schemas' FIELDS, and what that line imports from lib/keel/schemas/values.ts. */
  readonly field: string;
  readonly uses?: string;
}

/** spec's fields as columns added to its existing table: ALTER TABLE statements as create-table.js.eta would declare them. */
export function addedFields(spec: ResourceSpec): AddedField[] {
  const table = spec.plural;
  const tenantKey = spec.tenant ? '"tenant_id", ' : '';
  return templateData(spec).fields.map((field) => {
    const up = [
      {
        sql: `ALTER TABLE "${table}" ADD COLUMN "${field.name}" ${field.sql}${field.optional ? '' : ' NOT NULL'}`,
        comment: field.optional
          ? undefined
          : [
              'NOT NULL: on a table that has rows this fails (23502) unless they get a value: add DEFAULT <value>',
              'here, or add the column without NOT NULL, fill it, then ALTER COLUMN … SET NOT NULL.',
            ],
      },
    ];
    if (field.unique) {
      up.push({
        sql: `ALTER TABLE "${table}" ADD CONSTRAINT "${table}_${field.name}_key" UNIQUE (${tenantKey}"${field.name}")`,
        comment: undefined,
      });
    }
    const reference = field.reference;
    if (reference) {
      const setNull = spec.tenant && reference.onDelete === 'SET NULL' ? ` ("${field.name}")` : '';
      up.push({
        sql: `ALTER TABLE "${table}" ADD CONSTRAINT "${table}_${field.name}_fkey" FOREIGN KEY (${tenantKey}"${field.name}") REFERENCES "${reference.parent.plural}" (${tenantKey}"id") ON DELETE ${reference.onDelete}${setNull}`,
        comment: undefined,
      });
      if (!field.unique) {
        up.push({ sql: `CREATE INDEX "${table}_${field.name}_idx" ON "${table}" ("${field.name}", "id")`, comment: undefined });
      }
    }
    return {
      up,
      // Dropping the column drops its constraints and index with it.
      down: { sql: `ALTER TABLE "${table}" DROP COLUMN "${field.name}"` },
      attribute: render('lines/attribute', field).trim(),
      field: render('lines/field', field).trim(),
      uses: field.uses,
    };
  });
}

/** db/migrations/<stamp>-<name>.js: the columns of fields added to spec's table, reversible. */
export function addColumnsSource(name: string, spec: ResourceSpec, added: readonly AddedField[]): string {
  return render('change.js', {
    name,
    purpose: `adds ${spec.fields.map((field) => field.name).join(', ')} to ${spec.plural} (npm run generate:migration).`,
    up: added.flatMap((field) => field.up),
    // In reverse order, as DOWN undoes UP.
    down: added.map((field) => field.down).reverse(),
  });
}

/** The controller's function, as the route table names it. */
export const controllerName = (spec: ResourceSpec): string => `${spec.pluralVariable}Controller`;

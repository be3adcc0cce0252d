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
  return { ...spec, fields, references, ancestors: ancestorsOf(spec), columns, values, tenantSetting: TENANT_SETTING, keel };
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
export const viewSource = (spec: ResourceSpec): string => render('view.ts', templateData(spec));

/** test/integration/<plural>.test.ts */
export const testSource = (spec: ResourceSpec): string => render('test.ts', templateData(spec));

/** The controller's function, as the route table names it. */
export const controllerName = (spec: ResourceSpec): string => `${spec.pluralVariable}Controller`;

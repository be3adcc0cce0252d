// The files of a resource, each rendered from its template (templates/<file>.eta) with the resource's spec.
import type { ResourceSpec } from './spec';
import { render, TENANT_SETTING } from './templates';
import { typeOf } from './types';

/** What the templates are given: the spec, and each field with what its type needs (types.ts). */
function templateData(spec: ResourceSpec) {
  const fields = spec.fields.map((field) => ({ ...field, ...typeOf(field) }));
  const columns: [column: string, property: string][] = [
    ['id', 'id'],
    ...(spec.tenant ? [['tenant_id', 'tenantId'] as [string, string]] : []),
    ...fields.map((field): [string, string] => [field.name, field.property]),
    ['created_at', 'createdAt'],
    ['updated_at', 'updatedAt'],
  ];
  const values = [...new Set(fields.flatMap((field) => field.uses ?? []))].sort();
  return { ...spec, fields, columns, values, tenantSetting: TENANT_SETTING };
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
export const modelSource = (spec: ResourceSpec): string => render('model.ts', templateData(spec));

/** app/schemas/<singular>.ts */
export const schemasSource = (spec: ResourceSpec): string => render('schemas.ts', templateData(spec));

/** app/controllers/<plural>.ts */
export const controllerSource = (spec: ResourceSpec): string => render('controller.ts', templateData(spec));

/** app/views/<singular>.ts */
export const viewSource = (spec: ResourceSpec): string => render('view.ts', templateData(spec));

/** test/integration/<plural>.test.ts */
export const testSource = (spec: ResourceSpec): string => render('test.ts', templateData(spec));

/** The controller's function, as the route table names it. */
export const controllerName = (spec: ResourceSpec): string => `${spec.pluralVariable}Controller`;

// The controller (app/controllers/<plural>.ts, kebab-case): its operations, declared once, and their handlers.
import type { ResourceSpec } from './spec';

export function controllerSource(spec: ResourceSpec): string {
  const { className: C, pluralClassName: Plural, file, plural, variable: v, noun, nouns, constant: K } = spec;
  // With row-level security every statement needs the caller's tenant: reads run in a unit of work too,
  // and a caller whose token names no tenant is refused (403) before any SQL.
  const write = (work: string): string =>
    spec.tenant ? `unitOfWork(req, ${work}, { requires: 'tenant_id' })` : `unitOfWork(req, ${work})`;
  const read = (expression: string): string =>
    spec.tenant ? `unitOfWork(req, () => ${expression}, { requires: 'tenant_id' })` : expression;
  const readComment = spec.tenant
    ? "  // Row-level security filters every statement by the caller's tenant: reads run in a unit of work too."
    : '  // Reads that need no settings: no transaction.';
  return `import { Router } from 'express';
import {
  createdResponse,
  handle,
  jsonResponse,
  noContentResponse,
  NotFoundError,
  operation,
  responseRef,
  type RouteDeps,
} from '../../lib/keel/http';
import { ${C} } from '../models/${file}';
import {
  ${K}_EXAMPLE,
  ${K}_INPUT_EXAMPLE,
  ${C}Changes,
  ${C}Input,
  ${C}List,
  ${C}ListQuery,
  ${C}Params,
  ${C} as ${C}Schema,
} from '../schemas/${file}';
import { ${v}Body, ${v}ListBody } from '../views/${file}';

const tags = ['${plural}'];
const examples = { ${v}: { summary: 'A ${noun}', value: ${K}_EXAMPLE } };
const bodyExamples = { ${v}: { summary: 'A ${noun}', value: ${K}_INPUT_EXAMPLE } };

export const list${Plural} = operation({
  method: 'get',
  path: '/',
  operationId: 'list${Plural}',
  summary: 'List ${nouns} in creation order, a page at a time',
  tags,
  query: ${C}ListQuery,
  responses: {
    200: jsonResponse('A page of ${nouns}.', ${C}List, { lastPage: { summary: 'The last page', value: { items: [${K}_EXAMPLE], next: null } } }),
  },
});

export const create${C} = operation({
  method: 'post',
  path: '/',
  operationId: 'create${C}',
  summary: 'Create a ${noun}',
  tags,
  body: ${C}Input,
  bodyExamples,
  responses: { 201: createdResponse('The ${noun}, created.', ${C}Schema, examples), 409: responseRef('Conflict') },
});

export const get${C} = operation({
  method: 'get',
  path: '/{id}',
  operationId: 'get${C}',
  summary: 'One ${noun}',
  tags,
  params: ${C}Params,
  responses: { 200: jsonResponse('The ${noun}.', ${C}Schema, examples), 404: responseRef('NotFound') },
});

export const update${C} = operation({
  method: 'patch',
  path: '/{id}',
  operationId: 'update${C}',
  summary: 'Change a ${noun}',
  tags,
  params: ${C}Params,
  body: ${C}Changes,
  bodyExamples,
  responses: { 200: jsonResponse('The ${noun}, changed.', ${C}Schema, examples), 404: responseRef('NotFound'), 409: responseRef('Conflict') },
});

export const delete${C} = operation({
  method: 'delete',
  path: '/{id}',
  operationId: 'delete${C}',
  summary: 'Delete a ${noun}',
  tags,
  params: ${C}Params,
  responses: { 204: noContentResponse('The ${noun}, deleted.'), 404: responseRef('NotFound') },
});

export const ${spec.constant}_OPERATIONS = [list${Plural}, create${C}, get${C}, update${C}, delete${C}];

export function ${controllerName(spec)}({ unitOfWork }: RouteDeps): Router {
  const router = Router();

${readComment}
  handle(router, list${Plural}, async (req, res) => {
    const { limit, after } = req.query;
    // Keyset pagination on the id: one row more than the page tells whether a next page exists.
    const rows = await ${read(`${C}.findPage(limit + 1, after)`)};
    const page = rows.slice(0, limit);
    res.json(${v}ListBody(page, rows.length > limit ? (page.at(-1)?.id ?? null) : null));
  });

  handle(router, get${C}, async (req, res) => {
    const ${v} = await ${read(`${C}.findRow(req.params.id)`)};
    if (!${v}) throw new NotFoundError();
    res.json(${v}Body(${v}));
  });

  // Writes: one transaction carrying the caller's settings (app/request-settings.ts). A unique value
  // already taken is answered 409 by the error handler.
  handle(router, create${C}, async (req, res) => {
    const ${v} = await ${write(`() => ${C}.create(req.body)`)};
    res.status(201).location(\`\${req.baseUrl}/\${${v}.id}\`).json(${v}Body(${v}));
  });

  handle(router, update${C}, async (req, res) => {
    const ${v} = await ${write(`() => ${C}.changeRow(req.params.id, req.body)`)};
    if (!${v}) throw new NotFoundError();
    res.json(${v}Body(${v}));
  });

  handle(router, delete${C}, async (req, res) => {
    const deleted = await ${write(`() => ${C}.destroy({ where: { id: req.params.id } })`)};
    if (deleted === 0) throw new NotFoundError();
    res.status(204).end();
  });

  return router;
}
`;
}

/** widgets → widgetsController; stock_items → stockItemsController. */
export const controllerName = (spec: ResourceSpec): string => `${spec.pluralVariable}Controller`;

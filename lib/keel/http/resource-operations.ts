import type { z } from 'zod';
import { createdResponse, jsonResponse, noContentResponse, responseRef } from './openapi';
import { operation } from './operation';

/** A resource's schemas, as its schema file groups them (app/schemas/<singular>.ts, SCHEMAS). */
export interface ResourceSchemas<P extends z.ZodType, Q extends z.ZodType, I extends z.ZodType, C extends z.ZodType> {
  /** The path's parameters: { id }. */
  readonly params: P;
  /** A list's query: limit and after. */
  readonly listQuery: Q;
  /** A new one's body. */
  readonly input: I;
  /** A change's body: some of the input's fields. */
  readonly changes: C;
  /** One, as answered. */
  readonly body: z.ZodType;
  /** A page of them, as answered. */
  readonly list: z.ZodType;
  /** The document's examples: one as answered, and one new one's body. */
  readonly example: unknown;
  readonly inputExample: unknown;
}

/** The names a resource's operations are described by: its path segment (stock_items) and one of it (stock item). */
export interface ResourceNames {
  readonly plural: string;
  readonly noun: string;
}

const pascal = (words: string): string => words.replace(/(?:^|[\s_])([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
/** A noun with its article: a widget, an order. */
const a = (noun: string): string => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
const capitalised = (text: string): string => text.replace(/^[a-z]/, (letter) => letter.toUpperCase());
const camel = (words: string): string => pascal(words).replace(/^[A-Z]/, (letter) => letter.toLowerCase());
/** A list's example in the document: its last page, of one. */
const lastPageOf = (example: unknown) => ({ lastPage: { summary: 'The last page', value: { items: [example], next: null } } });

/**
 * A resource's list, create, get, update and delete operations, as the OpenAPI document describes them:
 * ids, summaries, responses and examples from its names and schemas. A controller serves each with
 * handle(); an operation of its own is declared with operation().
 */
export function resourceOperations<P extends z.ZodType, Q extends z.ZodType, I extends z.ZodType, C extends z.ZodType>(
  { plural, noun }: ResourceNames,
  schemas: ResourceSchemas<P, Q, I, C>,
) {
  const nouns = plural.replace(/_/g, ' ');
  const [one, many] = [pascal(noun), pascal(plural)];
  const tags = [plural];
  const examples = { [camel(noun)]: { summary: capitalised(a(noun)), value: schemas.example } };
  const bodyExamples = { [camel(noun)]: { summary: capitalised(a(noun)), value: schemas.inputExample } };
  const lastPage = lastPageOf(schemas.example);
  return {
    list: operation({
      method: 'get',
      path: '/',
      operationId: `list${many}`,
      summary: `List ${nouns} in creation order, a page at a time`,
      tags,
      query: schemas.listQuery,
      responses: { 200: jsonResponse(`A page of ${nouns}.`, schemas.list, lastPage) },
    }),
    create: operation({
      method: 'post',
      path: '/',
      operationId: `create${one}`,
      summary: `Create ${a(noun)}`,
      tags,
      body: schemas.input,
      bodyExamples,
      responses: { 201: createdResponse(`The ${noun}, created.`, schemas.body, examples), 409: responseRef('Conflict') },
    }),
    get: operation({
      method: 'get',
      path: '/{id}',
      operationId: `get${one}`,
      summary: `One ${noun}`,
      tags,
      params: schemas.params,
      responses: { 200: jsonResponse(`The ${noun}.`, schemas.body, examples), 404: responseRef('NotFound') },
    }),
    update: operation({
      method: 'patch',
      path: '/{id}',
      operationId: `update${one}`,
      summary: `Change ${a(noun)}`,
      tags,
      params: schemas.params,
      body: schemas.changes,
      bodyExamples,
      responses: {
        200: jsonResponse(`The ${noun}, changed.`, schemas.body, examples),
        404: responseRef('NotFound'),
        409: responseRef('Conflict'),
      },
    }),
    remove: operation({
      method: 'delete',
      path: '/{id}',
      operationId: `delete${one}`,
      summary: `Delete ${a(noun)}`,
      tags,
      params: schemas.params,
      responses: { 204: noContentResponse(`The ${noun}, deleted.`), 404: responseRef('NotFound'), 409: responseRef('Conflict') },
    }),
  };
}

/** The parent a nested list is under: how it is called, and its path's parameters ({ id }, as its own operations take them). */
export interface ParentOf<P extends z.ZodType> {
  readonly noun: string;
  readonly params: P;
}

/**
 * A resource's list under one parent, GET /{id}/<plural> at the parent's path (GET /customers/{id}/orders):
 * the list's query, page and example, the parent's id in the path, and a 404 when no parent has it. The
 * child's controller serves it, in a route table entry of its own at the parent's path.
 */
export function nestedListOperation<P extends z.ZodType, Q extends z.ZodType>(
  { plural }: ResourceNames,
  schemas: Pick<ResourceSchemas<z.ZodType, Q, z.ZodType, z.ZodType>, 'listQuery' | 'list' | 'example'>,
  parent: ParentOf<P>,
) {
  const nouns = plural.replace(/_/g, ' ');
  return operation({
    method: 'get',
    path: `/{id}/${plural}`,
    operationId: `list${pascal(parent.noun)}${pascal(plural)}`,
    summary: `List one ${parent.noun}'s ${nouns} in creation order, a page at a time`,
    tags: [plural],
    params: parent.params,
    query: schemas.listQuery,
    responses: {
      200: jsonResponse(`A page of the ${parent.noun}'s ${nouns}.`, schemas.list, lastPageOf(schemas.example)),
      404: responseRef('NotFound'),
    },
  });
}

import type { Request, RequestHandler } from 'express';
import type { z } from 'zod';
import { UnsupportedMediaTypeError, ValidationError, type FieldError } from './errors';

/** The parts of a request an operation may declare a schema for. */
export type RequestPart = 'params' | 'query' | 'body';

export type RequestSchemas = Partial<Record<RequestPart, z.ZodType>>;

// An unknown field's name is the client's text: named back only when it looks like a field name.
const PLAIN_FIELD_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

const FORMAT_NAMES: Readonly<Record<string, string>> = {
  uuid: 'a UUID',
  datetime: 'an ISO 8601 date-time',
  date: 'an ISO 8601 date',
  email: 'an email address',
  url: 'a URL',
};

/** RFC 6901: a JSON Pointer from a request part and a path inside it. */
function pointer(part: RequestPart, path: readonly PropertyKey[]): string {
  return `/${[part, ...path].map((segment) => String(segment).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let node = value;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

function bound(issue: { origin?: string; inclusive?: boolean }, limit: string, least: boolean): string {
  const word = least ? 'least' : 'most';
  switch (issue.origin) {
    case 'string':
      return `Must be at ${word} ${limit} characters long.`;
    case 'array':
    case 'set':
      return `Must have at ${word} ${limit} items.`;
    default:
      if (issue.inclusive === false) return `Must be ${least ? 'greater' : 'less'} than ${limit}.`;
      return `Must be at ${word} ${limit}.`;
  }
}

// zod's message for a refinement written without one: it says nothing the fallback below does not.
const ZOD_DEFAULT_REFINE_MESSAGE = 'Invalid input';

/**
 * A fixed text per zod issue code. zod's own messages may quote what was received, so none is used:
 * the texts name only what the schema expects. A refinement's message is the schema author's fixed
 * text (`.refine(check, { message: 'Must end after it starts.' })`), shown as written.
 */
function detail(issue: z.core.$ZodIssue, received: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return received === undefined ? 'Is required.' : `Must be ${TYPE_NAMES[issue.expected] ?? 'of another type'}.`;
    case 'too_small':
      return issue.origin === 'string' && Number(issue.minimum) === 1 ? 'Must not be empty.' : bound(issue, String(issue.minimum), true);
    case 'too_big':
      return bound(issue, String(issue.maximum), false);
    case 'invalid_format':
      return `Must be ${FORMAT_NAMES[issue.format] ?? 'in the documented format'}.`;
    case 'invalid_value':
      return `Must be one of: ${issue.values.map((value) => JSON.stringify(value)).join(', ')}.`;
    case 'not_multiple_of':
      return `Must be a multiple of ${String(issue.divisor)}.`;
    case 'custom':
      return issue.message && issue.message !== ZOD_DEFAULT_REFINE_MESSAGE ? issue.message : 'Is not valid.';
    default:
      return 'Is not valid.';
  }
}

/** One entry per invalid field of one part of the request. */
export function fieldErrors(part: RequestPart, issues: readonly z.core.$ZodIssue[], input: unknown): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const named = issue.keys.filter((key) => PLAIN_FIELD_NAME.test(key));
      for (const key of named) errors.push({ pointer: pointer(part, [...issue.path, key]), detail: 'Is not a known field.' });
      if (named.length < issue.keys.length) errors.push({ pointer: pointer(part, issue.path), detail: 'Has fields that are not known.' });
    } else {
      const received = valueAt(input, issue.path);
      // ?limit=5&limit=6 arrives as an array: saying it must be a number (or one of …) would mislead.
      const expectsArray = issue.code === 'invalid_type' && issue.expected === 'array';
      const repeated = part === 'query' && Array.isArray(received) && !expectsArray;
      errors.push({ pointer: pointer(part, issue.path), detail: repeated ? 'Must be given once.' : detail(issue, received) });
    }
  }
  return errors;
}

/** A body arrived (or is arriving) that the JSON parser left unread, since its Content-Type is not JSON. */
function hasBodyOtherThanJson(req: Request): boolean {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
  return hasBody && !req.is('application/json');
}

/**
 * Checks req.params, req.query and req.body against an operation's schemas and replaces each with
 * what its schema parsed (e.g. a query string coerced to a number); anything invalid is one 400
 * listing every invalid field. An operation with a body schema takes JSON: a body of another type
 * (a form, text, none named) is a 415, not a body whose every field is missing. Undefined when the
 * operation declares no schema: nothing to run.
 */
export function validateRequest(schemas: RequestSchemas): RequestHandler | undefined {
  const parts = (['params', 'query', 'body'] as const).flatMap((part) => {
    const schema = schemas[part];
    return schema ? [{ part, schema }] : [];
  });
  if (parts.length === 0) return undefined;
  const takesBody = schemas.body !== undefined;
  return (req, _res, next) => {
    if (takesBody && hasBodyOtherThanJson(req)) {
      next(new UnsupportedMediaTypeError());
      return;
    }
    const errors: FieldError[] = [];
    for (const { part, schema } of parts) {
      const result = schema.safeParse(req[part]);
      if (result.success) (req as unknown as Record<RequestPart, unknown>)[part] = result.data;
      else errors.push(...fieldErrors(part, result.error.issues, req[part]));
    }
    next(errors.length > 0 ? new ValidationError(errors) : undefined);
  };
}

import { z } from 'zod';

/** The same request id pattern the request-id middleware accepts from a caller. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const DATABASE_FAULT_CODES = ['database_unavailable', 'database_pool_exhausted', 'database_timeout'] as const;

/** The problem codes by status, as app/middleware/error-handler.ts, app/errors.ts and app/validation.ts produce them. */
export const PROBLEM_CODES = {
  400: ['invalid_request', 'malformed_json', 'request_aborted', 'invalid_content_length', 'bad_request'],
  401: ['unauthorized'],
  404: ['not_found'],
  405: ['method_not_allowed'],
  408: ['request_body_timeout'],
  409: ['unique_violation', 'foreign_key_violation'],
  413: ['payload_too_large', 'too_many_parameters'],
  414: ['uri_too_long'],
  415: ['unsupported_content_encoding', 'unsupported_charset'],
  500: ['internal_error'],
  503: ['request_timeout', ...DATABASE_FAULT_CODES],
} as const;

/**
 * Every code a problem body may carry. invalid_body (a body-parser `verify` hook, 403) and too_many_parameters (the
 * urlencoded parser) are mapped by the error handler, but keel's JSON parser without a verify hook never raises them.
 */
const ALL_PROBLEM_CODES = [...Object.values(PROBLEM_CODES).flat(), 'invalid_body'] as const;

export const FieldError = z
  .strictObject({
    pointer: z.string().startsWith('/').meta({ description: 'A JSON Pointer into the request: /body/name, /params/id, /query/limit.' }),
    detail: z.string().min(1).meta({ description: 'What is wrong, in a fixed text: never the submitted value.' }),
  })
  .meta({ id: 'FieldError', description: 'One invalid part of the request.' });

export const Problem = z
  .strictObject({
    type: z.literal('about:blank').meta({ description: 'The HTTP status says what kind of problem it is; `code` refines it.' }),
    title: z.string().min(1).meta({ description: 'The HTTP status phrase.' }),
    status: z.number().int().min(400).max(599).meta({ description: 'The HTTP status code.' }),
    detail: z.string().min(1).meta({ description: 'What went wrong, safe to show; a 5xx says nothing about internals.' }),
    instance: z
      .string()
      .regex(new RegExp(`^urn:keel:request:${REQUEST_ID_PATTERN.source.slice(1)}`))
      .meta({ description: 'Names this occurrence by its request id, never by the request path.' }),
    code: z.enum(ALL_PROBLEM_CODES).meta({ description: 'Stable and machine-readable: clients may branch on it.' }),
    requestId: z.string().regex(REQUEST_ID_PATTERN).meta({ description: 'The X-Request-Id of the response.' }),
    errors: z
      .array(FieldError)
      .min(1)
      .optional()
      .meta({ description: 'With invalid_request: one entry per invalid field of the params, the query or the body.' }),
  })
  .meta({
    id: 'Problem',
    description: 'An RFC 9457 problem details body with keel’s stable code and the request id. Never echoes the request.',
  });

import { z } from 'zod';
import { PROBLEMS, type ProblemCode, type ProblemStatus } from './problems';

/**
 * The request ids keel keeps from a caller (lib/keel/http/middleware/request-id.ts): printable, short and free of
 * separators that could forge a log line or a header.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

const CODES = Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]];

function codesByStatus(): Readonly<Record<ProblemStatus, readonly [ProblemCode, ...ProblemCode[]]>> {
  const byStatus: Partial<Record<number, ProblemCode[]>> = {};
  for (const code of CODES) if (!('listed' in PROBLEMS[code])) (byStatus[PROBLEMS[code].status] ??= []).push(code);
  return byStatus as Record<ProblemStatus, [ProblemCode, ...ProblemCode[]]>;
}

/** The problem codes the contract lists, by status (lib/keel/schemas/problems.ts). */
export const PROBLEM_CODES = codesByStatus();

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
    code: z.enum(CODES).meta({ description: 'Stable and machine-readable: clients may branch on it.' }),
    requestId: z.string().regex(REQUEST_ID_PATTERN).meta({ description: 'The X-Request-Id of the response.' }),
    errors: z
      .array(FieldError)
      .min(1)
      .optional()
      .meta({
        description:
          'With invalid_request: one entry per invalid field of the params, the query or the body. With an integrity ' +
          'violation (409): the body fields it is about, where the database names them.',
      }),
  })
  .meta({
    id: 'Problem',
    description: 'An RFC 9457 problem details body with keel’s stable code and the request id. Never echoes the request.',
  });

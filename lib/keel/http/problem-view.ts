import { STATUS_CODES } from 'node:http';
import type { FieldError } from './errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** An RFC 9457 problem details body, with keel's stable code and the request id. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly code: string;
  readonly requestId: string;
  /** Each invalid field (invalid_request) or the body fields an integrity violation is about: a JSON Pointer and a fixed text. */
  readonly errors?: readonly FieldError[];
}

export function problemBody(input: {
  status: number;
  code: string;
  detail: string;
  requestId: string;
  errors?: readonly FieldError[] | undefined;
}): Problem {
  const body: Problem = {
    // about:blank: the HTTP status says what kind of problem it is; `code` refines it.
    type: 'about:blank',
    title: STATUS_CODES[input.status] ?? 'Error',
    status: input.status,
    detail: input.detail,
    // Names this occurrence without echoing the request path back to the client.
    instance: `urn:keel:request:${input.requestId}`,
    code: input.code,
    requestId: input.requestId,
  };
  return input.errors ? { ...body, errors: input.errors } : body;
}

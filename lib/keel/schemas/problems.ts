import { CONSTRAINT_VIOLATIONS, DATABASE_FAULTS } from '../db/faults';

export { DATABASE_FAULT_CODES } from '../db/faults';

/**
 * Every problem code keel answers with: its status (the title is the status phrase) and the detail clients
 * see, safe to show and never echoing the request ({placeholders} are filled in by the error that raises it). The error handler, the errors controllers throw, the
 * health endpoints and the OpenAPI document all read it from here; the database's own faults come from
 * lib/keel/db/faults.ts, which the probe shares.
 */
export const PROBLEMS = {
  invalid_request: { status: 400, detail: 'The request has invalid fields; see errors.' },
  malformed_json: { status: 400, detail: 'The request body is not valid JSON, or not an object or array.' },
  request_aborted: { status: 400, detail: 'The request body was not received completely.' },
  invalid_content_length: { status: 400, detail: 'The request body does not match its Content-Length.' },
  bad_request: { status: 400, detail: 'The request could not be processed.' },
  invalid_authorization: { status: 400, detail: 'Send one bearer token, in one Authorization header, and nowhere else.' },
  unauthorized: { status: 401, detail: 'This resource needs a valid bearer token.' },
  invalid_token: { status: 401, detail: 'The bearer token is not valid for this service.' },
  // A body-parser `verify` hook's refusal: keel's JSON parser has none, so the contract does not list it.
  invalid_body: { status: 403, detail: 'The request body was rejected.', listed: false },
  insufficient_scope: { status: 403, detail: 'The bearer token lacks a scope this operation requires; WWW-Authenticate names them.' },
  invalid_identity: { status: 403, detail: 'The caller’s user or tenant is not one this service accepts.' },
  identity_incomplete: { status: 403, detail: 'The bearer token does not name the {setting} this operation needs.' },
  not_found: { status: 404, detail: 'No resource exists at this path.' },
  method_not_allowed: { status: 405, detail: 'This resource supports {allowed}.' },
  request_body_timeout: { status: 408, detail: 'The request body was not received in time.' },
  // Every integrity violation (SQLSTATE class 23) is a 409: the rule is in docs/api.md#integrity-violations.
  unique_violation: { status: 409, detail: CONSTRAINT_VIOLATIONS.unique_violation.detail },
  foreign_key_violation: { status: 409, detail: CONSTRAINT_VIOLATIONS.foreign_key_violation.detail },
  not_null_violation: { status: 409, detail: CONSTRAINT_VIOLATIONS.not_null_violation.detail },
  check_violation: { status: 409, detail: CONSTRAINT_VIOLATIONS.check_violation.detail },
  exclusion_violation: { status: 409, detail: CONSTRAINT_VIOLATIONS.exclusion_violation.detail },
  integrity_violation: { status: 409, detail: CONSTRAINT_VIOLATIONS.integrity_violation.detail },
  payload_too_large: { status: 413, detail: 'The request body is larger than this service accepts.' },
  too_many_parameters: { status: 413, detail: 'The request has too many parameters.' },
  uri_too_long: { status: 414, detail: 'The request URL is longer than {limit} characters.' },
  unsupported_media_type: { status: 415, detail: 'The request body must be JSON (Content-Type: application/json).' },
  unsupported_content_encoding: { status: 415, detail: 'The request body uses an unsupported Content-Encoding.' },
  unsupported_charset: { status: 415, detail: 'The request body uses an unsupported charset.' },
  internal_error: { status: 500, detail: 'An unexpected error occurred.' },
  request_timeout: { status: 503, detail: 'The request took too long and was abandoned.' },
  database_unavailable: { status: 503, detail: DATABASE_FAULTS.database_unavailable },
  database_pool_exhausted: { status: 503, detail: DATABASE_FAULTS.database_pool_exhausted },
  database_timeout: { status: 503, detail: DATABASE_FAULTS.database_timeout },
  database_auth_failed: { status: 503, detail: DATABASE_FAULTS.database_auth_failed },
  database_not_found: { status: 503, detail: DATABASE_FAULTS.database_not_found },
  database_tls_refused: { status: 503, detail: DATABASE_FAULTS.database_tls_refused },
  identity_provider_unavailable: {
    status: 503,
    detail: 'The identity provider cannot be reached to verify the token; try again shortly.',
  },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;

/** The statuses the OpenAPI document lists problems for. */
export type ProblemStatus = {
  [C in ProblemCode]: (typeof PROBLEMS)[C] extends { listed: false } ? never : (typeof PROBLEMS)[C]['status'];
}[ProblemCode];

/**
 * The Retry-After of every 503 keel sends (a problem or a failing health check): the seconds after which
 * a client may try again. A request_timeout of a method that is not idempotent carries none (see deadline.ts).
 */
export const RETRY_AFTER_SECONDS = '1';

import type { Request } from 'express';
import type { ConstraintViolation } from '../db/constraint-violations';
import type { FieldError } from './errors';

/** A column's JSON name, as keel's bodies and the generator (lib/keel/generator/spec.ts) name it: unit_price → unitPrice. */
const jsonName = (column: string): string => column.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());

/**
 * The fields of the request's JSON body an integrity violation is about: /body/<JSON name> for each column
 * PostgreSQL names that the body carries. A column the body does not carry got its value elsewhere (the
 * path, the caller, the server, another row), where the client cannot change it: no pointer would help.
 * A not-null violation's column is the one the body left out, so there it is named whenever a body was sent.
 */
export function violationFields(violation: ConstraintViolation, req: Request): FieldError[] {
  const { columns, fieldDetail, code } = violation;
  const body: unknown = req.body;
  // req.is is null without a body: Express's JSON parser leaves {} on a request that sent none.
  if (!fieldDetail || !req.is('application/json') || typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  return columns
    .map(jsonName)
    .filter((name) => code === 'not_null_violation' || Object.hasOwn(body, name))
    .map((name) => ({ pointer: `/body/${name}`, detail: fieldDetail }));
}

import { BaseError, ExclusionConstraintError, ForeignKeyConstraintError, UniqueConstraintError } from 'sequelize';
import { sqlState } from './errors';
import { CONSTRAINT_VIOLATIONS, type ConstraintViolationCode } from './faults';

export interface ConstraintViolation {
  /** Stable code for clients. */
  readonly code: ConstraintViolationCode;
  /** Safe to show: names no key, value, table or constraint. */
  readonly detail: string;
  /**
   * The columns PostgreSQL names, snake_case: the one left null, or those of the key that is taken, missing,
   * still referred to or overlapped (where the server withholds the key, the one in the constraint's name).
   * Empty when it names none, or names an expression (lower(email)) or a quoted name.
   */
  readonly columns: readonly string[];
  /** The fixed text for each column's field, for the codes whose columns PostgreSQL can name. */
  readonly fieldDetail: string | undefined;
  /** For the log line: which constraint of which table (names, never values). */
  readonly constraint: string | undefined;
  readonly table: string | undefined;
}

const CODES: Readonly<Record<string, ConstraintViolationCode>> = {
  '23505': 'unique_violation',
  '23503': 'foreign_key_violation',
  // PostgreSQL 18 reports a delete or update that ON DELETE/UPDATE RESTRICT refuses as 23001; earlier
  // versions report the same refusal as 23503. The client gets one answer whatever the server's version.
  '23001': 'foreign_key_violation',
  '23502': 'not_null_violation',
  '23514': 'check_violation',
  '23P01': 'exclusion_violation',
};
const INTEGRITY_CLASS = /^23/;

// The key's column list in the server's detail, `Key (tenant_id, email)=(…) already exists.`: only what comes
// before the first `)=(` is read, never a value. "Key" is translated with lc_messages; the shape is not.
const KEY_COLUMNS = /^[^(]*\((.+?)\)=\(/;
// Only a plain snake_case column has a JSON name; the detail quotes any other name ("userId").
const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

function postgresField(error: BaseError, field: 'constraint' | 'table' | 'column' | 'detail'): string | undefined {
  const parent = (error as { parent?: Record<string, unknown> }).parent;
  const value = parent?.[field];
  return typeof value === 'string' ? value : undefined;
}

/** A Sequelize error class standing for its SQLSTATE, should the wrapped pg error not carry one. */
function stateOfClass(error: BaseError): string | undefined {
  if (error instanceof UniqueConstraintError) return '23505';
  if (error instanceof ForeignKeyConstraintError) return '23503';
  if (error instanceof ExclusionConstraintError) return '23P01';
  return undefined;
}

/**
 * The column in a constraint's name, <table>_<column>_key (_fkey, _excl): PostgreSQL's own name for a
 * constraint on one column, which keel's generator keeps. Read only when the server withholds the key, as it
 * does under row-level security.
 */
function columnInName(error: BaseError): string[] {
  const [constraint, table] = [postgresField(error, 'constraint'), postgresField(error, 'table')];
  if (constraint === undefined || table === undefined || !constraint.startsWith(`${table}_`)) return [];
  const column = /^(.+)_(?:key|fkey|excl)$/.exec(constraint.slice(table.length + 1))?.[1];
  return column === undefined ? [] : [column];
}

function namedColumns(error: BaseError, code: ConstraintViolationCode): readonly string[] {
  const key = KEY_COLUMNS.exec(postgresField(error, 'detail') ?? '')?.[1];
  const names =
    code === 'not_null_violation' ? [postgresField(error, 'column') ?? ''] : key === undefined ? columnInName(error) : key.split(', ');
  // One expression or quoted name in a key (coalesce(a, b) splits into pieces) and none of it is named.
  return names.every((name) => SNAKE_CASE.test(name)) ? names : [];
}

/**
 * Tells a request the stored data refuses (any SQLSTATE of class 23, integrity_constraint_violation) from a
 * bug: each known SQLSTATE has its code, any other in the class is integrity_violation. Undefined for
 * anything else.
 */
export function classifyConstraintViolation(error: unknown): ConstraintViolation | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const state = sqlState(error) ?? stateOfClass(error);
  if (state === undefined || !INTEGRITY_CLASS.test(state)) return undefined;
  const code = CODES[state] ?? 'integrity_violation';
  const texts: { readonly detail: string; readonly field?: string } = CONSTRAINT_VIOLATIONS[code];
  return {
    code,
    detail: texts.detail,
    columns: texts.field === undefined ? [] : namedColumns(error, code),
    fieldDetail: texts.field,
    constraint: postgresField(error, 'constraint'),
    table: postgresField(error, 'table'),
  };
}

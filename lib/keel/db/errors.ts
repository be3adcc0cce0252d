import {
  BaseError,
  ConnectionAcquireTimeoutError,
  ConnectionError,
  DatabaseError,
  ForeignKeyConstraintError,
  UniqueConstraintError,
} from 'sequelize';
import { CONSTRAINT_VIOLATIONS, databaseFault, type DatabaseFault } from './faults';

// SQLSTATE classes that mean "the database is not there for us right now".
const UNAVAILABLE_SQLSTATES = /^(08|53|57P0[1-3])/;
const QUERY_CANCELED = '57014';
const CONNECTION_LOST = /Connection terminated|ECONNRESET|EPIPE|ETIMEDOUT|not queryable/i;
// pg's own message when its query_timeout (the client-side backstop, lib/keel/db/index.ts) gives up on the server.
const CLIENT_QUERY_TIMEOUT = 'Query read timeout';

function sqlState(error: BaseError): string | undefined {
  const parent = (error as { parent?: { code?: unknown } }).parent;
  return typeof parent?.code === 'string' ? parent.code : undefined;
}

/**
 * Tells a database outage (answered with 503) from a bug (500). Returns undefined for errors
 * that are not about the database being unavailable.
 */
export function classifyDatabaseFault(error: unknown): DatabaseFault | undefined {
  if (error instanceof ConnectionAcquireTimeoutError) {
    return databaseFault('database_pool_exhausted');
  }
  if (error instanceof ConnectionError) {
    return databaseFault('database_unavailable');
  }
  if (error instanceof DatabaseError) {
    const state = sqlState(error);
    if (state === QUERY_CANCELED || error.message === CLIENT_QUERY_TIMEOUT) {
      return databaseFault('database_timeout');
    }
    if ((state && UNAVAILABLE_SQLSTATES.test(state)) || CONNECTION_LOST.test(error.message)) {
      return databaseFault('database_unavailable');
    }
  }
  return undefined;
}

export interface ConstraintViolation {
  /** Stable code for clients. */
  readonly code: keyof typeof CONSTRAINT_VIOLATIONS;
  /** Safe to show: names no key, value, table or constraint. */
  readonly detail: string;
  /** For the log line: which constraint of which table (names, never values). */
  readonly constraint: string | undefined;
  readonly table: string | undefined;
}

function postgresField(error: BaseError, field: 'constraint' | 'table'): string | undefined {
  const parent = (error as { parent?: Record<string, unknown> }).parent;
  const value = parent?.[field];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Tells a request that conflicts with the stored data (a duplicate key, SQLSTATE 23505; a missing or
 * still-referencing row, 23503) from a bug. Returns undefined for anything else.
 */
export function classifyConstraintViolation(error: unknown): ConstraintViolation | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const state = sqlState(error);
  const where = { constraint: postgresField(error, 'constraint'), table: postgresField(error, 'table') };
  if (error instanceof UniqueConstraintError || state === '23505') {
    return { code: 'unique_violation', detail: CONSTRAINT_VIOLATIONS.unique_violation, ...where };
  }
  if (error instanceof ForeignKeyConstraintError || state === '23503') {
    return { code: 'foreign_key_violation', detail: CONSTRAINT_VIOLATIONS.foreign_key_violation, ...where };
  }
  return undefined;
}

import { ConnectionAcquireTimeoutError, ConnectionError, DatabaseError, type BaseError } from 'sequelize';
import { connectFailureCause } from './connect-failures';
import { databaseFault, type DatabaseFault, type DatabaseFaultCode } from './faults';

// SQLSTATE classes that mean "the database is not there for us right now".
const UNAVAILABLE_SQLSTATES = /^(08|53|57P0[1-3])/;
const QUERY_CANCELED = '57014';
const CONNECTION_LOST = /Connection terminated|ECONNRESET|EPIPE|ETIMEDOUT|not queryable/i;
// pg's own message when its query_timeout (the client-side backstop, lib/keel/db/index.ts) gives up on the server.
const CLIENT_QUERY_TIMEOUT = 'Query read timeout';

// A cause whose remedy is not waiting gets a code of its own; the others are an outage.
const FAULT_OF_CAUSE: Record<NonNullable<ReturnType<typeof connectFailureCause>>, DatabaseFaultCode> = {
  refused: 'database_unavailable',
  timed_out: 'database_unavailable',
  host_not_found: 'database_unavailable',
  connection_lost: 'database_unavailable',
  // Waited out as an outage is (connections free up), and then fixed by the budget (docs/operations.md#connection-budget).
  too_many_connections: 'database_unavailable',
  authentication_failed: 'database_auth_failed',
  database_not_found: 'database_not_found',
  tls_refused: 'database_tls_refused',
};

/** The SQLSTATE PostgreSQL answered with, from the pg error Sequelize wraps. */
export function sqlState(error: BaseError): string | undefined {
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
    const cause = connectFailureCause(error);
    return databaseFault(cause ? FAULT_OF_CAUSE[cause] : 'database_unavailable', cause);
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

// A hot standby cancels a query whose snapshot, locks or buffers its WAL replay needs (after
// max_standby_streaming_delay): 40001 "canceling statement due to conflict with recovery", or the
// FATAL "terminating connection due to conflict with recovery" (40001, or 57P04 when the database
// was dropped); PostgreSQL reports a deadlock with the startup process as 40P01. The primary has
// no such conflict.
const RECOVERY_CONFLICT_SQLSTATES = new Set(['40001', '40P01', '57P04']);
const RECOVERY_CONFLICT_MESSAGE = /conflict with recovery/i;

/** True when a replica cancelled the statement (or ended the session) because replaying the primary's WAL needed it gone. */
export function isRecoveryConflict(error: unknown): boolean {
  if (!(error instanceof DatabaseError)) return false;
  const state = sqlState(error);
  return state !== undefined && RECOVERY_CONFLICT_SQLSTATES.has(state) && RECOVERY_CONFLICT_MESSAGE.test(error.message);
}

import { BaseError, ConnectionAcquireTimeoutError, ConnectionError, DatabaseError } from 'sequelize';

export interface DatabaseFault {
  /** Stable code for clients and health bodies. */
  readonly code: 'database_unavailable' | 'database_pool_exhausted' | 'database_timeout';
  /** Safe to show: says nothing about hosts, users or SQL. */
  readonly detail: string;
}

// SQLSTATE classes that mean "the database is not there for us right now".
const UNAVAILABLE_SQLSTATES = /^(08|53|57P0[1-3])/;
const QUERY_CANCELED = '57014';
const CONNECTION_LOST = /Connection terminated|ECONNRESET|EPIPE|ETIMEDOUT|not queryable/i;
// pg's own message when its query_timeout (the client-side backstop, db/index.ts) gives up on the server.
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
    return { code: 'database_pool_exhausted', detail: 'No database connection became free in time.' };
  }
  if (error instanceof ConnectionError) {
    return { code: 'database_unavailable', detail: 'The database cannot be reached.' };
  }
  if (error instanceof DatabaseError) {
    const state = sqlState(error);
    if (state === QUERY_CANCELED || error.message === CLIENT_QUERY_TIMEOUT) {
      return { code: 'database_timeout', detail: 'The database did not answer in time.' };
    }
    if ((state && UNAVAILABLE_SQLSTATES.test(state)) || CONNECTION_LOST.test(error.message)) {
      return { code: 'database_unavailable', detail: 'The database cannot be reached.' };
    }
  }
  return undefined;
}

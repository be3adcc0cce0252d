import { ConnectionAcquireTimeoutError, ConnectionError, DatabaseError, type BaseError } from 'sequelize';
import { databaseFault, type DatabaseFault } from './faults';

// SQLSTATE classes that mean "the database is not there for us right now".
const UNAVAILABLE_SQLSTATES = /^(08|53|57P0[1-3])/;
const QUERY_CANCELED = '57014';
const CONNECTION_LOST = /Connection terminated|ECONNRESET|EPIPE|ETIMEDOUT|not queryable/i;
// pg's own message when its query_timeout (the client-side backstop, lib/keel/db/index.ts) gives up on the server.
const CLIENT_QUERY_TIMEOUT = 'Query read timeout';

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

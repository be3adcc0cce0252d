import { ConnectionTimedOutError } from 'sequelize';
import type { ConnectFailureCause } from './faults';

/** What pg (or the socket under it) threw; Sequelize keeps it as `parent` (and `original`). */
interface DriverError {
  readonly code?: unknown;
  readonly message?: unknown;
}

const driverErrorOf = (error: unknown): DriverError | undefined => {
  const parent = (error as { parent?: unknown } | null | undefined)?.parent;
  return typeof parent === 'object' && parent !== null ? (parent as DriverError) : undefined;
};

// Node's certificate checks and OpenSSL's handshake failures: the TLS settings do not fit the server.
const TLS_ERROR_CODES = /^(ERR_SSL_|ERR_TLS_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|CERT_)/;
const TLS_MESSAGES = /server does not support SSL|SSL connection is required|no encryption|SSL off/i;
const TIMEOUT_MESSAGES = /timeout expired|connection timeout|timed out|Query read timeout/i;
const LOST_MESSAGES = /Connection terminated|ECONNRESET|EPIPE/i;

/**
 * Why opening a connection failed, from the error pg gave (through Sequelize's ConnectionError):
 * SQLSTATE 28P01 and 28000 (authentication; 28000 "no encryption" is a server that requires TLS),
 * 3D000 (no such database), the socket's ECONNREFUSED / ENOTFOUND / ETIMEDOUT, and TLS refusals.
 * Undefined when the error says nothing of the kind.
 */
export function connectFailureCause(error: unknown): ConnectFailureCause | undefined {
  if (error instanceof ConnectionTimedOutError) return 'timed_out';
  const driver = driverErrorOf(error) ?? (error as DriverError | undefined);
  if (!driver) return undefined;
  const code = typeof driver.code === 'string' ? driver.code : '';
  const message = typeof driver.message === 'string' ? driver.message : '';
  if (code === '3D000') return 'database_not_found';
  // 53300: max_connections, or the role's or the database's CONNECTION LIMIT, is reached (docs/operations.md#connection-budget).
  if (code === '53300') return 'too_many_connections';
  if (TLS_ERROR_CODES.test(code) || TLS_MESSAGES.test(message)) return 'tls_refused';
  if (code === '28P01' || code === '28000') return 'authentication_failed';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host_not_found';
  if (code === 'ETIMEDOUT' || TIMEOUT_MESSAGES.test(message)) return 'timed_out';
  if (LOST_MESSAGES.test(message) || code === 'ECONNRESET') return 'connection_lost';
  return undefined;
}

// The codes and texts of database faults, shared by the probe, the error handler and the contract
// (lib/keel/schemas). Plain data that imports nothing, so a schema may import it.

/**
 * The database faults, each with the one text clients see for it, whoever noticed it: a request's query
 * (a 503 problem body) or the health probe (a health body). Safe to show: nothing about hosts, users or SQL.
 */
export const DATABASE_FAULTS = {
  database_unavailable: 'The database cannot be reached.',
  database_pool_exhausted: 'No database connection became free in time.',
  database_timeout: 'The database did not answer in time.',
  // A misconfiguration, not an outage: waiting does not help, fixing DATABASE_URL or DATABASE_SSL does.
  database_auth_failed: 'The database refused the credentials this service logs in with.',
  database_not_found: 'The database this service is configured to use does not exist.',
  database_tls_refused: 'The database refused the TLS settings this service connects with.',
} as const;

export type DatabaseFaultCode = keyof typeof DATABASE_FAULTS;

export const DATABASE_FAULT_CODES = Object.keys(DATABASE_FAULTS) as [DatabaseFaultCode, ...DatabaseFaultCode[]];

/**
 * Why a connection could not be opened, as an operator needs it at once: which of these it is decides the
 * remedy (wait for the server, fix the password or the database name, fix the TLS settings).
 */
export const CONNECT_FAILURE_CAUSES = [
  'refused',
  'timed_out',
  'host_not_found',
  'authentication_failed',
  'database_not_found',
  'tls_refused',
  'connection_lost',
  'too_many_connections',
] as const;

export type ConnectFailureCause = (typeof CONNECT_FAILURE_CAUSES)[number];

export interface DatabaseFault {
  /** Stable code for clients and health bodies. */
  readonly code: DatabaseFaultCode;
  readonly detail: string;
  /** Why a connection could not be opened, when that was the fault. */
  readonly cause?: ConnectFailureCause;
}

// One frozen object per code and cause: the probe hands them out on every failing health ping.
const FAULTS = new Map<string, DatabaseFault>();

export function databaseFault(code: DatabaseFaultCode, cause?: ConnectFailureCause): DatabaseFault {
  const key = cause ? `${code}:${cause}` : code;
  let fault = FAULTS.get(key);
  if (!fault) {
    fault = Object.freeze(cause ? { code, detail: DATABASE_FAULTS[code], cause } : { code, detail: DATABASE_FAULTS[code] });
    FAULTS.set(key, fault);
  }
  return fault;
}

/**
 * The integrity violations (SQLSTATE class 23), each with the text clients see for it and, where PostgreSQL
 * can name the columns, the text of each field the body's errors point at. Neither names a key, value,
 * table or constraint.
 */
export const CONSTRAINT_VIOLATIONS = {
  unique_violation: {
    detail: 'A resource with the same unique value already exists.',
    field: 'Another resource already has this value.',
  },
  foreign_key_violation: {
    detail: 'The request refers to a resource that does not exist, or removes or changes one that others still refer to.',
    field: 'Refers to a resource that does not exist, or is a value others still refer to.',
  },
  not_null_violation: {
    detail: 'The request leaves out a value the stored resource requires.',
    field: 'Must have a value.',
  },
  check_violation: {
    detail: 'The request would store data that breaks a rule the stored resources follow.',
  },
  exclusion_violation: {
    detail: 'The request conflicts with an existing resource: a value that may not overlap another’s does.',
    field: 'Overlaps the value of an existing resource.',
  },
  integrity_violation: {
    detail: 'The request would break the integrity of the stored data.',
  },
} as const satisfies Record<string, { readonly detail: string; readonly field?: string }>;

export type ConstraintViolationCode = keyof typeof CONSTRAINT_VIOLATIONS;

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
} as const;

export type DatabaseFaultCode = keyof typeof DATABASE_FAULTS;

export const DATABASE_FAULT_CODES = Object.keys(DATABASE_FAULTS) as [DatabaseFaultCode, ...DatabaseFaultCode[]];

export interface DatabaseFault {
  /** Stable code for clients and health bodies. */
  readonly code: DatabaseFaultCode;
  readonly detail: string;
}

// One frozen object per code: the probe hands them out on every failing health ping.
const FAULTS = Object.fromEntries(
  DATABASE_FAULT_CODES.map((code) => [code, Object.freeze({ code, detail: DATABASE_FAULTS[code] })]),
) as Readonly<Record<DatabaseFaultCode, DatabaseFault>>;

export const databaseFault = (code: DatabaseFaultCode): DatabaseFault => FAULTS[code];

/** The integrity violations, each with the text clients see for it: names no key, value, table or constraint. */
export const CONSTRAINT_VIOLATIONS = {
  unique_violation: 'A resource with the same unique value already exists.',
  foreign_key_violation: 'The request refers to a resource that does not exist, or one that is still referenced.',
} as const;

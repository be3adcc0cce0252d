import type { OperationMethod } from './operation';

/**
 * Who may call a route table entry's operations:
 * - 'public': anyone; no token is read (health, /openapi.json; /metrics has its own token);
 * - 'authenticated': a caller with a valid bearer token (the default, and what generated resources get);
 * - { read, write }: a valid token that carries these scopes (the scope or scp claim), for the reads
 *   (GET, HEAD) and the writes (POST, PUT, PATCH, DELETE) of the entry; a list left out needs none.
 */
export type Access = 'public' | 'authenticated' | ScopedAccess;

export interface ScopedAccess {
  readonly read?: readonly string[];
  readonly write?: readonly string[];
}

/** What one operation asks of its caller. */
export interface Requirement {
  readonly authenticated: boolean;
  /** Every one of them must be granted to the token. */
  readonly scopes: readonly string[];
}

const PUBLIC: Requirement = { authenticated: false, scopes: [] };
const AUTHENTICATED: Requirement = { authenticated: true, scopes: [] };

/** An entry without access is 'authenticated': a route is public only when the route table says so. */
export function requirementOf(access: Access | undefined, method: OperationMethod): Requirement {
  if (access === 'public') return PUBLIC;
  if (access === undefined || access === 'authenticated') return AUTHENTICATED;
  const scopes = method === 'get' ? access.read : access.write;
  return scopes && scopes.length > 0 ? { authenticated: true, scopes } : AUTHENTICATED;
}

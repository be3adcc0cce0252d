import { createLocalJWKSet, type CompactJWSHeaderParameters, type CryptoKey, type JSONWebKeySet } from 'jose';

/** What a key set reports to a health check, in the IETF health-check draft's terms. */
export interface KeySetStatus {
  readonly status: 'pass' | 'warn' | 'fail';
  /** How many signature keys are held. */
  readonly keys: number;
  /** When the keys were last fetched (ISO 8601); absent for a static set or before the first fetch. */
  readonly fetchedAt?: string;
  /** A fixed text saying what is wrong, when something is. */
  readonly output?: string;
}

/**
 * Where a verifier finds the key for a token: only in keel's own set, chosen by the protected header's kid and
 * alg. Headers that point elsewhere (jku, x5u, x5c, an embedded jwk) are never followed.
 */
export interface KeySource {
  /**
   * The key for this header, for jwtVerify (a JWTVerifyGetKey). Rejects with jose's JWKSNoMatchingKey for an
   * unknown kid, and with IdentityProviderUnavailableError when there are no keys at all.
   */
  getKey(header: CompactJWSHeaderParameters): Promise<CryptoKey>;
  status(): KeySetStatus;
  /** Fetches the keys now (one fetch at a time); never rejects: a failure shows in status() and the log. */
  refresh(): Promise<void>;
  /** Starts a background refresh if the keys are older than their max age; returns at once. */
  refreshIfStale(): void;
  /** Changes whenever the set of keys does: what was verified with the old set has to be verified again. */
  readonly version: number;
  /** Stops fetching and aborts a fetch in flight; the keys held still verify. */
  close(): void;
}

/** A fixed set of public keys, such as keel's development issuer's: always 'pass'. */
export function localKeySet(keys: JSONWebKeySet): KeySource {
  const resolve = createLocalJWKSet(keys);
  const status: KeySetStatus = { status: 'pass', keys: keys.keys.length };
  return {
    getKey: (header) => resolve(header),
    status: () => status,
    refresh: () => Promise.resolve(),
    refreshIfStale: () => undefined,
    version: 0,
    close: () => undefined,
  };
}

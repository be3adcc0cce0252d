import type { Caller } from './caller';

/**
 * Callers of tokens verified before, by the SHA-256 of the token (the token itself is a credential, and is not
 * kept). Bounded: the least recently used entry makes room (a Map iterates in insertion order, and a hit is
 * moved to the end). An entry lasts until its token expires, with the same clock tolerance as jwtVerify, and
 * all of them go when the key set changes, so a key the provider revoked stops verifying at once.
 *
 * Why: an RS256 verification costs 110–150 µs of CPU, a hit about 2–3 µs (the hash and a Map lookup), against
 * 80–90 µs for a whole request through keel (docs/benchmarks.md).
 *
 * Memory (Node 24, measured with 10,000 entries): an entry costs about 0.6 KB for a typical 650-character
 * token (5.4 MB for the default 10,000) and grows with the claims, up to about 17 KB for a token near the
 * 8,192-character limit packed with short array entries (160 MB for 10,000). Only verified tokens get in, so
 * what an entry costs is what the identity provider puts in its tokens; lower cacheEntries if they are heavy.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Caller>();
  private keysVersion: number | undefined;

  constructor(
    private readonly maxEntries: number,
    private readonly clockToleranceS: number,
  ) {}

  /** The Caller for this hash if it is still valid at nowMs and the key set is the one it was verified with. */
  get(hash: string, nowMs: number, keysVersion: number): Caller | undefined {
    if (keysVersion !== this.keysVersion) {
      this.entries.clear();
      this.keysVersion = keysVersion;
      return undefined;
    }
    const caller = this.entries.get(hash);
    if (caller === undefined) return undefined;
    this.entries.delete(hash);
    if (isExpired(caller, nowMs, this.clockToleranceS)) return undefined;
    this.entries.set(hash, caller);
    return caller;
  }

  /** Remembers a Caller verified with this version of the key set, unless the set has changed since. */
  set(hash: string, caller: Caller, keysVersion: number): void {
    if (keysVersion !== this.keysVersion || this.maxEntries === 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(hash, caller);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** jwtVerify's own rule: expired once exp <= now (whole seconds) - tolerance. */
function isExpired(caller: Caller, nowMs: number, clockToleranceS: number): boolean {
  return (caller.claims.exp as number) <= Math.floor(nowMs / 1000) - clockToleranceS;
}

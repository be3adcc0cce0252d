import type { Caller } from './caller';

/** The characters of every token remembered, together (see the memory note below). */
export const MAX_TOKEN_CHARACTERS = 8 * 1024 * 1024;

interface Entry {
  readonly caller: Caller;
  readonly tokenLength: number;
}

/**
 * Callers of tokens verified before, by the SHA-256 of the token (the token itself is a credential, and is not
 * kept). Bounded: the least recently used entry makes room (a Map iterates in insertion order, and a hit is
 * moved to the end). An entry lasts until its token expires, with the same clock tolerance as jwtVerify, and
 * all of them go when the key set changes, so a key the provider revoked stops verifying at once.
 *
 * Why: an RS256 verification costs 110–150 µs of CPU, a hit about 2–3 µs (the hash and a Map lookup), against
 * 80–90 µs for a whole request through keel
 * (docs/benchmark-notes.md#authenticated-requests-what-a-bearer-token-costs).
 *
 * Memory (Node 24, measured with 10,000 entries): an entry costs about 0.6 KB for a typical 650-character
 * token (5.4 MB for the default 10,000) and grows with the claims, up to about 17 KB for a token near the
 * 8,192-character limit packed with short array entries. So the entries' tokens are also bounded together,
 * to MAX_TOKEN_CHARACTERS: about 1,000 such heavy tokens (17 MB) at most, while 10,000 typical ones still fit.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();
  private keysVersion: number | undefined;
  private characters = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly clockToleranceS: number,
    private readonly maxCharacters: number = MAX_TOKEN_CHARACTERS,
  ) {}

  /** The Caller for this hash if it is still valid at nowMs and the key set is the one it was verified with. */
  get(hash: string, nowMs: number, keysVersion: number): Caller | undefined {
    if (keysVersion !== this.keysVersion) {
      this.entries.clear();
      this.characters = 0;
      this.keysVersion = keysVersion;
      return undefined;
    }
    const entry = this.entries.get(hash);
    if (entry === undefined) return undefined;
    this.remove(hash, entry);
    if (isExpired(entry.caller, nowMs, this.clockToleranceS)) return undefined;
    this.add(hash, entry);
    return entry.caller;
  }

  /** Remembers a Caller verified with this version of the key set, unless the set has changed since. */
  set(hash: string, caller: Caller, keysVersion: number, tokenLength: number): void {
    if (keysVersion !== this.keysVersion || this.maxEntries === 0 || tokenLength > this.maxCharacters) return;
    while (this.entries.size > 0 && (this.entries.size >= this.maxEntries || this.characters + tokenLength > this.maxCharacters)) {
      const [oldest, entry] = this.entries.entries().next().value as [string, Entry];
      this.remove(oldest, entry);
    }
    this.add(hash, { caller, tokenLength });
  }

  private add(hash: string, entry: Entry): void {
    this.entries.set(hash, entry);
    this.characters += entry.tokenLength;
  }

  private remove(hash: string, entry: Entry): void {
    this.entries.delete(hash);
    this.characters -= entry.tokenLength;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** jwtVerify's own rule: expired once exp <= now (whole seconds) - tolerance. */
function isExpired(caller: Caller, nowMs: number, clockToleranceS: number): boolean {
  return (caller.claims.exp as number) <= Math.floor(nowMs / 1000) - clockToleranceS;
}

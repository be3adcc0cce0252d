import { hash } from 'node:crypto';
import { jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { callerFromClaims, type Caller } from './caller';
import { InvalidTokenError } from './errors';
import { localKeySet, type KeySource } from './key-source';
import { refusalFor } from './refusals';
import { VerifiedTokens } from './verified-tokens';

/** Longer tokens are refused unread: real ones are 1–2 KB, and parsing costs grow with the size. */
export const MAX_TOKEN_LENGTH = 8192;

// Three base64url segments; the signature may be empty so that an alg "none" token is refused for its alg.
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]*$/;

export interface VerifierOptions {
  readonly keys: KeySource;
  /** iss must equal it. */
  readonly issuer: string;
  /** aud must name one of them. */
  readonly audience: readonly string[];
  /** The allow-list of alg values: none and the HMAC algorithms (HS*) are refused here too. */
  readonly algorithms: readonly string[];
  /** How far exp and nbf may be off: tokens are accepted up to this many seconds past exp and before nbf. */
  readonly clockToleranceS: number;
  readonly userClaim: string;
  readonly tenantClaim: string;
  /** How many verified tokens are remembered (see VerifiedTokens); 0 remembers none. */
  readonly cacheEntries?: number;
  readonly now?: () => number;
}

export interface TokenVerifier {
  /** The Caller a bearer token proves; rejects with InvalidTokenError, or IdentityProviderUnavailableError (503). */
  verify(token: string): Promise<Caller>;
  /**
   * The Caller of a token verified before and still valid, at once (no promise: most requests of a
   * client carry the token it was given); undefined: verify() it.
   */
  known(token: string): Caller | undefined;
  readonly keys: KeySource;
}

/** A verifier of bearer tokens (compact JWS JWTs) for one issuer and audience, through jose's jwtVerify. */
export function createVerifier(options: VerifierOptions): TokenVerifier {
  checkOptions(options);
  const { keys, userClaim, tenantClaim, clockToleranceS } = options;
  const now = options.now ?? Date.now;
  const cache = new VerifiedTokens(options.cacheEntries ?? 10_000, clockToleranceS);
  // Only the protected header reaches the key source: nothing the token carries besides kid and alg chooses a key.
  const getKey: JWTVerifyGetKey = (header) => keys.getKey(header);
  const verifyOptions: JWTVerifyOptions = {
    issuer: options.issuer,
    audience: [...options.audience],
    algorithms: [...options.algorithms],
    clockTolerance: clockToleranceS,
    requiredClaims: ['exp', 'iss', 'aud'],
  };

  async function verify(token: string): Promise<Caller> {
    if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('too_large');
    if (!COMPACT_JWS.test(token)) throw new InvalidTokenError('malformed');
    const at = now();
    const version = keys.version;
    const digest = hash('sha256', token, 'base64url');
    const cached = cache.get(digest, at, version);
    if (cached !== undefined) {
      keys.refreshIfStale();
      return cached;
    }
    let caller: Caller;
    try {
      const { payload } = await jwtVerify(token, getKey, { ...verifyOptions, currentDate: new Date(at) });
      caller = callerFromClaims(payload, { userClaim, tenantClaim });
    } catch (error) {
      throw refusalFor(error);
    }
    cache.set(digest, caller, version, token.length);
    return caller;
  }

  function known(token: string): Caller | undefined {
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return undefined;
    const caller = cache.get(hash('sha256', token, 'base64url'), now(), keys.version);
    if (caller !== undefined) keys.refreshIfStale();
    return caller;
  }

  return { verify, known, keys };
}

function checkOptions(options: VerifierOptions): void {
  if (options.algorithms.length === 0) throw new TypeError('the verifier needs at least one algorithm');
  for (const algorithm of options.algorithms) {
    // none has no signature; with HS*, anyone holding the (public) verification key could sign.
    if (algorithm === 'none' || algorithm.startsWith('HS')) throw new TypeError(`algorithm ${algorithm} is not allowed for bearer tokens`);
  }
  if (options.audience.length === 0) throw new TypeError('the verifier needs at least one audience');
  if (!Number.isFinite(options.clockToleranceS) || options.clockToleranceS < 0) throw new TypeError('clockToleranceS must be 0 or more');
}

/** What verifies when nothing was configured to (an app built without a verifier): no token, ever. */
export const REFUSE_EVERY_TOKEN: TokenVerifier = {
  verify: () => Promise.reject(new InvalidTokenError('unknown_key')),
  known: () => undefined,
  keys: localKeySet({ keys: [] }),
};

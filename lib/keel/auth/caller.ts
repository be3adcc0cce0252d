import type { JWTPayload } from 'jose';
import { InvalidTokenError } from './errors';

/** Who made a request, as a verified bearer token says: what product code and row-level security read. */
export interface Caller {
  /** The user claim (sub by default): a non-empty string of at most 255 characters. */
  readonly user: string;
  /** The tenant claim (tenant_id by default) exactly as sent, undefined when absent: the app validates it. */
  readonly tenant: unknown;
  /** The union of scope (space-separated) and scp (an array, as Okta sends it, or space-separated, as Entra ID). */
  readonly scopes: ReadonlySet<string>;
  /** Every verified claim, frozen: one Caller may serve every request that carries the same token. */
  readonly claims: Readonly<JWTPayload>;
  /** When the token expires (exp), in ms since the epoch. */
  readonly expiresAt: number;
}

export interface CallerClaims {
  readonly userClaim: string;
  readonly tenantClaim: string;
}

/** The longest user id accepted: it becomes a database setting and a log field, so it is bounded. */
export const MAX_USER_LENGTH = 255;

/** The Caller a verified token's claims describe; a token without a usable user claim is invalid. */
export function callerFromClaims(claims: JWTPayload, names: CallerClaims): Caller {
  const user = claims[names.userClaim];
  if (typeof user !== 'string' || user.length === 0 || user.length > MAX_USER_LENGTH) throw new InvalidTokenError('claims');
  return {
    user,
    tenant: claims[names.tenantClaim],
    scopes: scopesOf(claims),
    claims: deepFreeze(claims),
    // jwtVerify requires exp and checks it is a number.
    expiresAt: (claims.exp as number) * 1000,
  };
}

function scopesOf(claims: JWTPayload): ReadonlySet<string> {
  const scopes = new Set<string>();
  for (const value of [claims.scope, claims.scp]) {
    const entries = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? (value as unknown[]) : [];
    for (const entry of entries) if (typeof entry === 'string' && entry !== '') scopes.add(entry);
  }
  return scopes;
}

/** Parsed JSON has no cycles, so freezing it all the way down ends. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

// Who the resource mode's requests come from: the suite's identity provider
// (test/support/identity-provider.ts) on 127.0.0.1, whose keys keel fetches through discovery as it
// would a real provider's, and the one bearer token every request of the load carries.
import crypto from 'node:crypto';
import { jwtVerify } from 'jose';
import { startIdentityProvider } from '../test/support/identity-provider';

/**
 * The token's lifetime: longer than any run, so that it never expires mid-measurement (keel would
 * answer 401) and keel's verified-claims cache keeps it for the whole run, as it would a real
 * client's token during its lifetime.
 */
export const TOKEN_LIFETIME_S = 3600;

const AUDIENCE = 'keel-bench';

export interface BenchIdentity {
  /** keel's settings to verify this provider's tokens: AUTH=on, its issuer, the audience. */
  readonly keelEnv: Readonly<Record<string, string>>;
  /** The Authorization header of every authenticated request. */
  readonly headers: Readonly<Record<string, string>>;
  /** What the token says, for the report: the user and the tenant keel's settings hook turns into the unit of work's settings. */
  readonly user: string;
  readonly tenant: string;
  /** The token's signature algorithm and length in characters, for the report: hashing and parsing it scale with the length. */
  readonly algorithm: string;
  readonly tokenLength: number;
  /** Verifies the token as keel does on a cache miss (jose's jwtVerify: signature, issuer, audience, exp), here. */
  verifyToken(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The provider and one token for every request and connection: keel's cache is per token, so after
 * the first request each later one is a hit, as it would be with a token per connection (those 50
 * misses would all fall in the warm-up); one token keeps the request autocannon sends fixed, with no
 * per-request work in the load generator, which shares the cores with the servers.
 */
export async function startBenchIdentity(): Promise<BenchIdentity> {
  const provider = await startIdentityProvider({ audience: AUDIENCE });
  const user = 'user-bench';
  // keel's settings schema wants a UUID: row-level security casts it.
  const tenant = crypto.randomUUID();
  try {
    const token = await provider.sign({ sub: user, tenant_id: tenant }, { expiresInS: TOKEN_LIFETIME_S });
    return {
      keelEnv: {
        AUTH: 'on',
        AUTH_ISSUER: provider.issuer,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_USER_CLAIM: 'sub',
        AUTH_TENANT_CLAIM: 'tenant_id',
      },
      headers: { Authorization: `Bearer ${token}` },
      user,
      tenant,
      algorithm: provider.currentKey.alg,
      tokenLength: token.length,
      async verifyToken() {
        const key = provider.currentKey;
        await jwtVerify(token, key.publicKey, {
          issuer: provider.issuer,
          audience: AUDIENCE,
          algorithms: [key.alg],
          requiredClaims: ['exp', 'iss', 'aud'],
        });
      },
      close: () => provider.close(),
    };
  } catch (error) {
    await provider.close();
    throw error;
  }
}

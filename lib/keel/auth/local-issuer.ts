import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';

import { LOCAL_ISSUER } from '../../../config/auth';

export { LOCAL_ISSUER };

const ALGORITHM = 'ES256';

/** keel's development signing key: the private half signs, the public set verifies (localKeySet). */
export interface LocalIssuerKey {
  readonly publicKeys: JSONWebKeySet;
  readonly privateKey: CryptoKey;
  readonly kid: string;
}

/**
 * The development issuer's key from a private JWK file, made on first use (ES256; the file mode 0600, its
 * directory created) and reused afterwards, so that tokens signed earlier keep verifying across restarts.
 */
export async function loadOrCreateLocalIssuerKey(file: string): Promise<LocalIssuerKey> {
  const stored = await readKeyFile(file);
  if (stored !== undefined) return keyFromJwk(stored, file);
  const jwk = await newPrivateJwk();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // wx: never overwrite; another process that made the file first wins, and its key is the one used.
    await writeFile(file, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateLocalIssuerKey(file);
    throw error;
  }
  return keyFromJwk(jwk, file);
}

/** A development issuer key held in memory only, for tests and one-off runs. */
export async function createEphemeralIssuerKey(): Promise<LocalIssuerKey> {
  return keyFromJwk(await newPrivateJwk(), 'an ephemeral key');
}

export interface LocalTokenClaims {
  /** The user id, written to sub and to the user claim. */
  readonly sub: string;
  readonly tenant?: string;
  readonly scopes?: readonly string[];
  readonly audience: string | readonly string[];
  readonly expiresInS: number;
  readonly tenantClaim: string;
  readonly userClaim: string;
}

/** A compact JWT from keel's development issuer: iss LOCAL_ISSUER, the key's kid, iat and exp. */
export async function signLocalToken(key: LocalIssuerKey, claims: LocalTokenClaims): Promise<string> {
  const payload: Record<string, unknown> = { sub: claims.sub, [claims.userClaim]: claims.sub };
  if (claims.tenant !== undefined) payload[claims.tenantClaim] = claims.tenant;
  if (claims.scopes !== undefined && claims.scopes.length > 0) payload.scope = claims.scopes.join(' ');
  const issuedAt = Math.floor(Date.now() / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(typeof claims.audience === 'string' ? claims.audience : [...claims.audience])
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + claims.expiresInS)
    .sign(key.privateKey);
}

async function readKeyFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw unusableKey(file);
  }
}

async function newPrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const { kty, crv, x, y, d } = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty, crv, x, y });
  return { kty, crv, x, y, d, kid, alg: ALGORITHM, use: 'sig' };
}

async function keyFromJwk(stored: unknown, source: string): Promise<LocalIssuerKey> {
  const { kty, crv, x, y, d, kid } = (stored ?? {}) as Record<string, unknown>;
  if (kty !== 'EC' || crv !== 'P-256' || ![x, y, d, kid].every((part) => typeof part === 'string' && part !== '')) {
    throw unusableKey(source);
  }
  const publicJwk = { kty, crv, x, y, kid, alg: ALGORITHM, use: 'sig' } as JWK;
  const privateKey = await importJWK({ ...publicJwk, d } as JWK, ALGORITHM, { extractable: false }).catch(() => {
    throw unusableKey(source);
  });
  if (privateKey instanceof Uint8Array) throw unusableKey(source);
  return { publicKeys: { keys: [publicJwk] }, privateKey, kid: kid as string };
}

const unusableKey = (source: string): Error =>
  new Error(`${source} is not an ES256 private key (a JWK with kty EC, crv P-256, x, y, d and kid); delete it to make a new one`);

import type { JWK } from 'jose';
import { ProviderFetchError } from './provider-fetch';

const SIGNATURE_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);
// jose refuses RSA keys under 2048 bits with a TypeError at verification time; they are left out here instead.
const MIN_RSA_MODULUS_CHARS = Math.ceil((2048 / 8) * (4 / 3));

/**
 * The public signature keys of a fetched JWK Set (RFC 7517, section 5). Encryption keys, secret and private
 * keys, and RSA keys too short to trust are dropped; jose's resolver then matches kid, alg and use. A set with
 * no usable key is refused: a provider serving an empty set mid-deploy must not lock every caller out.
 */
export function signatureKeys(document: unknown): JWK[] {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new ProviderFetchError('invalid_key_set');
  const usable = keys.filter(isSignatureKey);
  if (usable.length === 0) throw new ProviderFetchError('no_signing_keys');
  return usable;
}

function isSignatureKey(key: unknown): key is JWK {
  if (typeof key !== 'object' || key === null) return false;
  const { kty, use, key_ops: operations, d, k, n } = key as Record<string, unknown>;
  if (typeof kty !== 'string' || !SIGNATURE_KEY_TYPES.has(kty)) return false;
  if (d !== undefined || k !== undefined) return false;
  if (use !== undefined && use !== 'sig') return false;
  if (operations !== undefined && !(Array.isArray(operations) && operations.includes('verify'))) return false;
  return kty !== 'RSA' || (typeof n === 'string' && n.length >= MIN_RSA_MODULUS_CHARS);
}

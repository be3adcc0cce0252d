import { errors } from 'jose';
import { InvalidTokenError, type InvalidTokenReason } from './errors';

/** Why jose refused a token, for every error it raises (a code it adds later fails typecheck here). */
const REASONS: Record<errors.JOSEErrorCode, InvalidTokenReason> = {
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm',
  ERR_JOSE_NOT_SUPPORTED: 'algorithm',
  ERR_JOSE_GENERIC: 'malformed',
  ERR_JWE_DECRYPTION_FAILED: 'malformed',
  ERR_JWE_INVALID: 'malformed',
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
  ERR_JWK_INVALID: 'unusable_key',
  ERR_JWKS_INVALID: 'unusable_key',
  ERR_JWKS_TIMEOUT: 'unusable_key',
  ERR_JWKS_NO_MATCHING_KEY: 'unknown_key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'ambiguous_key',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature',
  ERR_JWT_EXPIRED: 'expired',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'claims',
};

const CLAIM_REASONS: Readonly<Record<string, InvalidTokenReason>> = { iss: 'issuer', aud: 'audience', nbf: 'not_yet_valid' };

/**
 * The InvalidTokenError for a jose error: a fixed reason, never jose's message (which can quote the token's
 * claims). Anything that is not jose's is returned as it is: an unavailable provider stays a 503, a bug a 500.
 */
export function refusalFor(error: unknown): unknown {
  if (!(error instanceof errors.JOSEError)) return error;
  if (error instanceof errors.JWTClaimValidationFailed) return new InvalidTokenError(CLAIM_REASONS[error.claim] ?? 'claims');
  return new InvalidTokenError(REASONS[error.code as errors.JOSEErrorCode] ?? 'malformed');
}

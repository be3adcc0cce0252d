import { HttpError, ServiceUnavailableError } from '../errors';
import { PROBLEMS } from '../problems';

/** keel's realm in WWW-Authenticate (RFC 6750, section 3). */
const REALM = 'Bearer realm="keel"';

/** A request to a protected resource without a bearer token. */
export class MissingTokenError extends HttpError {
  constructor() {
    super(401, 'unauthorized', PROBLEMS.unauthorized.detail, { 'WWW-Authenticate': REALM });
  }
}

/**
 * Why a token was refused: a fixed word for a debug line, never jose's message nor any part of the token
 * (a message can quote a claim, and a token in a log is a credential in a log).
 */
export type InvalidTokenReason =
  | 'too_large'
  | 'malformed'
  | 'algorithm'
  | 'unknown_key'
  | 'ambiguous_key'
  | 'unusable_key'
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'issuer'
  | 'audience'
  | 'claims';

/** A bearer token that is not valid for this service; the client learns no more than that (RFC 6750, section 3.1). */
export class InvalidTokenError extends HttpError {
  constructor(readonly reason: InvalidTokenReason) {
    super(401, 'invalid_token', PROBLEMS.invalid_token.detail, { 'WWW-Authenticate': `${REALM}, error="invalid_token"` });
  }
}

/** No key to verify a token with: the identity provider has not been reachable since boot. */
export class IdentityProviderUnavailableError extends ServiceUnavailableError {
  constructor() {
    super('identity_provider_unavailable', PROBLEMS.identity_provider_unavailable.detail);
  }
}

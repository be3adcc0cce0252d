import { HttpError, ServiceUnavailableError } from '../http/errors';
import { PROBLEMS } from '../schemas/problems';

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

/** The token in the query string, or in two Authorization headers: refused, never read (RFC 6750 invalid_request). */
export class InvalidAuthorizationError extends HttpError {
  constructor() {
    super(400, 'invalid_authorization', PROBLEMS.invalid_authorization.detail, { 'WWW-Authenticate': `${REALM}, error="invalid_request"` });
  }
}

/** A valid token without every scope the operation requires; the challenge names them (RFC 6750, section 3). */
export class InsufficientScopeError extends HttpError {
  constructor(required: readonly string[]) {
    super(403, 'insufficient_scope', PROBLEMS.insufficient_scope.detail, {
      'WWW-Authenticate': `${REALM}, error="insufficient_scope", scope="${required.join(' ')}"`,
    });
  }
}

/** A valid token whose user or tenant does not fit the settings row-level security reads (app/request-settings.ts). */
export class InvalidIdentityError extends HttpError {
  constructor() {
    super(403, 'invalid_identity', PROBLEMS.invalid_identity.detail);
  }
}

/** A valid token that does not name what the operation's unit of work needs (a tenant, for a table under RLS). */
export class IdentityIncompleteError extends HttpError {
  constructor(readonly setting: string) {
    super(403, 'identity_incomplete', PROBLEMS.identity_incomplete.detail.replace('{setting}', setting));
  }
}

import type { Request, RequestHandler } from 'express';
import type { Requirement } from '../access';
import type { Caller } from '../auth/caller';
import { InsufficientScopeError, InvalidAuthorizationError, InvalidTokenError, MissingTokenError } from '../auth/errors';
import { requestSettingsOf } from '../auth/settings';
import type { TokenVerifier } from '../auth/verifier';
import type { RequestSettings, RequestSettingsHook } from '../request-settings';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augmenting Express's own namespace
  namespace Express {
    interface Locals {
      /** Who is calling, verified from the bearer token; absent on public routes. */
      caller?: Caller;
      /** The caller's settings for the unit of work, checked once (app/request-settings.ts). */
      settings?: RequestSettings;
    }
  }
}

// RFC 6750 §2.1: the scheme (any case), one space, a token68.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^Bearer(?: |$)/i;

/** The bearer token of a request, from its one Authorization header: never from the URL, where logs and proxies keep it. */
function bearerToken(req: Request): string {
  const headers = req.headersDistinct.authorization ?? [];
  if (headers.length > 1 || Object.hasOwn(req.query as object, 'access_token')) throw new InvalidAuthorizationError();
  const [header] = headers;
  if (header === undefined || !SCHEME.test(header)) throw new MissingTokenError();
  const token = BEARER.exec(header)?.[1];
  if (!token) throw new InvalidTokenError('malformed');
  return token;
}

/**
 * Verifies the caller of an operation before its validation and handler run: a bearer token from its
 * provider's keys, the scopes the route table asks for, and settings that fit RequestSettings. The
 * caller and its settings are kept on res.locals for the unit of work and the access log. Refusals
 * (401, 403, 400, and 503 while no provider key is at hand) reach the error middleware; no SQL is sent.
 */
export function authenticate(verifier: TokenVerifier, requirement: Requirement, hook: RequestSettingsHook): RequestHandler {
  return (req, res, next) => {
    let token: string;
    try {
      token = bearerToken(req);
    } catch (error) {
      next(error);
      return;
    }
    verifier.verify(token).then((caller) => {
      try {
        if (requirement.scopes.some((scope) => !caller.scopes.has(scope))) throw new InsufficientScopeError(requirement.scopes);
        res.locals.caller = caller;
        requestSettingsOf(req, res, hook);
      } catch (error) {
        next(error);
        return;
      }
      next();
    }, next);
  };
}

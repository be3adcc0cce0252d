import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Requirement } from '../access';
import type { Caller } from '../../auth/caller';
import { InsufficientScopeError, InvalidAuthorizationError, InvalidTokenError, MissingTokenError } from '../../auth/errors';
import { requestSettingsOf } from '../../auth/settings';
import type { TokenVerifier } from '../../auth/verifier';
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

/** How many Authorization headers the request has: Node keeps the first in req.headers and drops the others. */
function authorizationHeaders(req: Request): number {
  let count = 0;
  for (let at = 0; at < req.rawHeaders.length; at += 2) {
    const name = req.rawHeaders[at] as string;
    if (name.length === 13 && name.toLowerCase() === 'authorization') count += 1;
  }
  return count;
}

/** The bearer token of a request, from its one Authorization header: never from the URL, where logs and proxies keep it. */
function bearerToken(req: Request): string {
  if (authorizationHeaders(req) > 1 || Object.hasOwn(req.query as object, 'access_token')) throw new InvalidAuthorizationError();
  const header = req.headers.authorization;
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
  /** Lets the verified caller through, or refuses it; either way the request goes on. */
  const admit = (caller: Caller, req: Request, res: Response, next: NextFunction): void => {
    try {
      if (requirement.scopes.some((scope) => !caller.scopes.has(scope))) throw new InsufficientScopeError(requirement.scopes);
      res.locals.caller = caller;
      requestSettingsOf(req, res, hook);
    } catch (error) {
      next(error);
      return;
    }
    next();
  };
  return (req, res, next) => {
    let token: string;
    try {
      token = bearerToken(req);
    } catch (error) {
      next(error);
      return;
    }
    const known = verifier.known(token);
    if (known) admit(known, req, res, next);
    else verifier.verify(token).then((caller) => admit(caller, req, res, next), next);
  };
}

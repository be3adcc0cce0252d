import type { RequestHandler } from 'express';
import { MethodNotAllowedError } from '../errors';

/** For router.route(path).all(...): a known path asked with a method it does not support. */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  return (_req, _res, next) => next(new MethodNotAllowedError(allowed));
}

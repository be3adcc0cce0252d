import type { RequestHandler } from 'express';
import { NotFoundError } from '../errors';

/** The last non-error middleware: whatever reached it matched no route. */
export function notFound(): RequestHandler {
  return (_req, _res, next) => next(new NotFoundError());
}

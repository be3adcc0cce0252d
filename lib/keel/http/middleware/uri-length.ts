import type { RequestHandler } from 'express';
import { HttpError } from '../errors';
import { PROBLEMS } from '../../schemas/problems';

/** Longer URLs than any route of ours needs; Node itself answers 431 above its 16 KiB header limit. */
export const MAX_URL_LENGTH = 8 * 1024;

export class UriTooLongError extends HttpError {
  constructor() {
    super(414, 'uri_too_long', PROBLEMS.uri_too_long.detail.replace('{limit}', String(MAX_URL_LENGTH)));
  }
}

export function limitUrlLength(): RequestHandler {
  return (req, _res, next) => next(req.originalUrl.length > MAX_URL_LENGTH ? new UriTooLongError() : undefined);
}

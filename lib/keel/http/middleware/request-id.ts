import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../../../config/logger';
import { runInRequestScope } from '../request-scope';
import { REQUEST_ID_PATTERN } from '../../schemas/problem';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augmenting Express's own namespace
  namespace Express {
    interface Locals {
      requestId: string;
      /** The service logger. Lines written in the request's async context carry its id by themselves. */
      log: Logger;
    }
  }
}

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Takes a sane incoming X-Request-Id (from a router or a caller) or makes one, and echoes it. */
export function requestId(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const id = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    // Not a child logger per request: the request scope below adds the id to lines written while
    // serving, and lines written from event callbacks (the access log) pass it explicitly.
    res.locals.log = logger;
    res.setHeader(REQUEST_ID_HEADER, id);
    runInRequestScope({ requestId: id }, next);
  };
}

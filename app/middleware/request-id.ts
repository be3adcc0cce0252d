import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../config/logger';
import { runInRequestScope } from '../request-context';

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
// Printable, short and free of separators that could forge a log line or a header.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes a sane incoming X-Request-Id (from a router or a caller) or makes one, and echoes it. */
export function requestId(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const id = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    // Not a child logger per request: the request scope below adds the id to lines written while
    // serving, and lines written from event callbacks (the access log) pass it explicitly.
    res.locals.log = logger;
    res.setHeader(REQUEST_ID_HEADER, id);
    runInRequestScope({ requestId: id }, next);
  };
}

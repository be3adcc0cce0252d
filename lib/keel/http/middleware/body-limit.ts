import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler } from 'express';
import { HttpError } from '../errors';
import { PROBLEMS } from '../../schemas/problems';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augmenting Express's own namespace
  namespace Express {
    interface Locals {
      /** True while the JSON body parser waits for the request body (see requestDeadline). */
      receivingBody?: boolean;
    }
  }
}

class DeclaredPayloadTooLargeError extends HttpError {
  constructor() {
    // Connection: close, because the rest of the body is never read: the socket cannot carry another request.
    super(413, 'payload_too_large', PROBLEMS.payload_too_large.detail, { Connection: 'close' });
  }
}

/**
 * JSON is UTF-8 (RFC 8259). The parser's decoder turns a byte sequence that is not UTF-8 into U+FFFD, so
 * a string would be stored other than it was sent: such a body is malformed JSON, a 400.
 */
function refuseMalformedUtf8(_req: unknown, _res: unknown, body: Buffer, encoding: string): void {
  if (encoding === 'utf-8' && !isUtf8(body)) {
    throw Object.assign(new Error('the JSON body is not valid UTF-8'), { status: 400, type: 'entity.parse.failed' });
  }
}

/**
 * The JSON body parser (JSON_BODY_LIMIT_KB). A JSON request whose Content-Length is over the limit
 * gets 413 at once: express.json() would refuse it too, but only after reading (and discarding) the
 * whole declared body, and a client announcing 100 MB and sending nothing would hold the request
 * until the deadline. The time spent waiting for the client's bytes is marked, so that the request
 * deadline can tell a client too slow to send its body (408) from a server too slow to answer (503).
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, verify: refuseMalformedUtf8 });
  return (req, res, next) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limitBytes && req.is('application/json')) {
      next(new DeclaredPayloadTooLargeError());
      return;
    }
    res.locals.receivingBody = true;
    parse(req, res, (error?: unknown) => {
      res.locals.receivingBody = false;
      next(error);
    });
  };
}

import type { RequestHandler } from 'express';
import type { Logger } from '../../config/logger';
import { HttpError, ServiceUnavailableError } from '../errors';
import { sendProblem } from './error-handler';

class RequestBodyTimeoutError extends HttpError {
  constructor() {
    // The body never finished arriving: the connection is in the middle of a request and cannot be reused.
    super(408, 'request_body_timeout', 'The request body was not received in time.', { Connection: 'close' });
  }
}

/**
 * Answers 503 when a request is still unanswered after deadlineMs, before the platform's router
 * gives up (30 s) and the client gets a bare router error instead of a problem body. Whatever the
 * handler tries to send afterwards is dropped (see errorHandler). A request whose body is still
 * arriving at the deadline gets 408 instead.
 */
export function requestDeadline(deadlineMs: number, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      // Still waiting for the client's body (a trickled or stalled upload): the client's delay, not a 5xx of ours.
      const error = res.locals.receivingBody
        ? new RequestBodyTimeoutError()
        : new ServiceUnavailableError('request_timeout', 'The request took too long and was abandoned.');
      sendProblem(error, req, res, logger);
    }, deadlineMs);
    // 'close' follows 'finish' for a completed response and also fires for an aborted one.
    res.once('close', () => clearTimeout(timer));
    next();
  };
}

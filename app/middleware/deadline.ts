import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../config/logger';
import { HttpError, ServiceUnavailableError } from '../errors';
import { outsideRequestScope } from '../request-context';
import { sendProblem } from './error-handler';

class RequestBodyTimeoutError extends HttpError {
  constructor() {
    // The body never finished arriving: the connection is in the middle of a request and cannot be reused.
    super(408, 'request_body_timeout', 'The request body was not received in time.', { Connection: 'close' });
  }
}

/** How late past its deadline a request may be answered: a small share of the deadline, never over 250 ms. */
function sweepIntervalMs(deadlineMs: number): number {
  return Math.min(250, Math.max(10, Math.floor(deadlineMs / 50)));
}

interface InFlight {
  readonly req: Request;
  readonly res: Response;
  readonly due: number;
}

/**
 * Answers 503 when a request is still unanswered after deadlineMs, before the platform's router
 * gives up (30 s) and the client gets a bare router error instead of a problem body. Whatever the
 * handler tries to send afterwards is dropped (see errorHandler). A request whose body is still
 * arriving at the deadline gets 408 instead.
 *
 * One sweep timer for all requests in flight (what Node's HTTP server does for its own request
 * timeout), not a timer per request: under load a timer per request cost more than the rest of
 * this middleware. A request is answered at most sweepIntervalMs(deadlineMs) after its deadline.
 */
export function requestDeadline(deadlineMs: number, logger: Logger): RequestHandler {
  // Insertion order is arrival order, and every request has the same deadline: the overdue ones come first.
  const inFlight = new Map<Response, InFlight>();
  let sweeper: NodeJS.Timeout | undefined;

  const answerOverdue = (entry: InFlight): void => {
    if (entry.res.headersSent) return;
    // Still waiting for the client's body (a trickled or stalled upload): the client's delay, not a 5xx of ours.
    const error = entry.res.locals.receivingBody
      ? new RequestBodyTimeoutError()
      : new ServiceUnavailableError('request_timeout', 'The request took too long and was abandoned.');
    sendProblem(error, entry.req, entry.res, logger);
  };

  const sweep = (): void => {
    const now = performance.now();
    for (const [res, entry] of inFlight) {
      if (entry.due > now) break;
      inFlight.delete(res);
      answerOverdue(entry);
    }
    if (inFlight.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  return (req, res, next) => {
    inFlight.set(res, { req, res, due: performance.now() + deadlineMs });
    // Unref'd: requests in flight keep the process alive through their sockets, not through this timer.
    sweeper ??= outsideRequestScope(() => setInterval(sweep, sweepIntervalMs(deadlineMs)).unref());
    // 'close' follows 'finish' for a completed response and also fires for an aborted one.
    res.on('close', () => inFlight.delete(res));
    next();
  };
}

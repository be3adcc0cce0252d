import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../../../config/logger';
import { HttpError, ServiceUnavailableError } from '../errors';
import { PROBLEMS } from '../../schemas/problems';
import { outsideRequestScope } from '../request-scope';
import { onResponseClosed } from '../response-closed';
import { sendProblem } from './error-handler';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augmenting Express's own namespace
  namespace Express {
    interface Locals {
      /**
       * Fires at the request deadline and when the client goes away before the response is finished.
       * Pass it to database.unitOfWork (and to anything else that takes one): the work stops and nothing commits.
       */
      signal: AbortSignal;
    }
  }
}

/**
 * Methods a client may repeat after an unknown outcome (RFC 9110 §9.2.2: the safe ones, PUT and DELETE).
 * Any other request timed out with an unknown outcome: the answer does not invite a retry.
 */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** The deadline passed on a request that is not safe to repeat: no Retry-After, and a detail that says why. */
class UnsafeToRetryTimeoutError extends HttpError {
  constructor() {
    super(
      503,
      'request_timeout',
      'The request took too long and was stopped; database changes it had not committed were rolled back. ' +
        'Check whether it took effect before repeating it.',
    );
  }
}

/** The reason the request's signal gives when the client closed the connection before the answer was complete. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection before the response was complete');
    this.name = 'ClientGoneError';
  }
}

class RequestBodyTimeoutError extends HttpError {
  constructor() {
    // The body never finished arriving: the connection is in the middle of a request and cannot be reused.
    super(408, 'request_body_timeout', PROBLEMS.request_body_timeout.detail, { Connection: 'close' });
  }
}

/** How late past its deadline a request may be answered: a small share of the deadline, never over 250 ms. */
function sweepIntervalMs(deadlineMs: number): number {
  return Math.min(250, Math.max(10, Math.floor(deadlineMs / 50)));
}

/**
 * A request in flight. A class, not an object literal: V8 may decide to allocate a literal's objects
 * straight in the old generation (see lib/keel/http/response-closed.ts), and one that points at a request
 * would keep every request alive through minor GCs; it never does so for instances of a class.
 */
class InFlight {
  previous: InFlight | undefined = undefined;
  next: InFlight | undefined = undefined;

  constructor(
    readonly req: Request,
    readonly res: Response,
    readonly due: number,
    readonly controller: AbortController,
  ) {}
}

/**
 * The requests in flight in arrival order, which is deadline order (every request has the same
 * deadline). A linked list, not a Map or Set keyed by response: under load a collection that takes
 * and drops an entry per request kept requests reachable through V8's minor collections, so each
 * request's objects were promoted to the old generation, and scavenges took ~30 ms instead of ~1
 * (docs/benchmark-notes.md#reads-by-id-and-the-access-log). An entry taken out drops its links, so
 * nothing old points at anything new.
 */
class ArrivalOrder {
  private head: InFlight | undefined;
  private tail: InFlight | undefined;

  get first(): InFlight | undefined {
    return this.head;
  }

  add(entry: InFlight): void {
    entry.previous = this.tail;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
  }

  remove(entry: InFlight): void {
    if (entry.previous) entry.previous.next = entry.next;
    else if (this.head === entry) this.head = entry.next;
    else return; // already removed
    if (entry.next) entry.next.previous = entry.previous;
    else this.tail = entry.previous;
    entry.previous = undefined;
    entry.next = undefined;
  }
}

/**
 * Answers 503 when a request is still unanswered after deadlineMs, before the platform's router
 * gives up (30 s) and the client gets a bare router error instead of a problem body. Whatever the
 * handler tries to send afterwards is dropped (see errorHandler). A request whose body is still
 * arriving at the deadline gets 408 instead.
 *
 * res.locals.signal fires when the deadline answers and when the client goes away first, so that the
 * work stops too: a unit of work given it rolls back. A POST (or any method that is not idempotent)
 * gets no Retry-After: its outcome is unknown, and an automatic retry could do it twice.
 *
 * One sweep timer for all requests in flight (what Node's HTTP server does for its own request
 * timeout), not a timer per request: under load a timer per request costs more than the rest of
 * this middleware. A request is answered at most sweepIntervalMs(deadlineMs) after its deadline.
 */
export function requestDeadline(deadlineMs: number, logger: Logger): RequestHandler {
  const inFlight = new ArrivalOrder();
  let sweeper: NodeJS.Timeout | undefined;

  const answerOverdue = (entry: InFlight): void => {
    // Still waiting for the client's body (a trickled or stalled upload): the client's delay, not a 5xx of ours.
    const error = entry.res.locals.receivingBody
      ? new RequestBodyTimeoutError()
      : IDEMPOTENT_METHODS.has(entry.req.method)
        ? new ServiceUnavailableError('request_timeout', PROBLEMS.request_timeout.detail)
        : new UnsafeToRetryTimeoutError();
    if (entry.res.headersSent) return;
    // First the work stops (its statement is cancelled, its transaction will not commit), then the answer.
    entry.controller.abort(error);
    sendProblem(error, entry.req, entry.res, logger);
  };

  const sweep = (): void => {
    const now = performance.now();
    for (let entry = inFlight.first; entry && entry.due <= now; entry = inFlight.first) {
      inFlight.remove(entry);
      answerOverdue(entry);
    }
    if (!inFlight.first) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  return (req, res, next) => {
    // Node creates the AbortSignal itself only when it is first read; together about 0.1 µs per request.
    const controller = new AbortController();
    res.locals.signal = controller.signal;
    const entry = new InFlight(req, res, performance.now() + deadlineMs, controller);
    inFlight.add(entry);
    // Unref'd: requests in flight keep the process alive through their sockets, not through this timer.
    sweeper ??= outsideRequestScope(() => setInterval(sweep, sweepIntervalMs(deadlineMs)).unref());
    onResponseClosed(res, () => {
      inFlight.remove(entry);
      if (!res.writableFinished) controller.abort(new ClientGoneError());
    });
    next();
  };
}

import type { RequestHandler } from 'express';
import type { Logger } from '../../config/logger';
import { ServiceUnavailableError } from '../errors';
import { sendProblem } from './error-handler';

/**
 * Answers 503 when a request is still unanswered after deadlineMs, before the platform's router
 * gives up (30 s) and the client gets a bare router error instead of a problem body. Whatever the
 * handler tries to send afterwards is dropped (see errorHandler).
 */
export function requestDeadline(deadlineMs: number, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      sendProblem(new ServiceUnavailableError('request_timeout', 'The request took too long and was abandoned.'), req, res, logger);
    }, deadlineMs);
    // 'close' follows 'finish' for a completed response and also fires for an aborted one.
    res.once('close', () => clearTimeout(timer));
    next();
  };
}

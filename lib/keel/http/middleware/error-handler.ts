import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from '../../../../config/logger';
import { classifyConstraintViolation } from '../../db/constraint-violations';
import { classifyDatabaseFault } from '../../db/errors';
import { InvalidTokenError } from '../../auth/errors';
import { HttpError, ServiceUnavailableError, ValidationError, type FieldError } from '../errors';
import { PROBLEMS, RETRY_AFTER_SECONDS, type ProblemCode } from '../../schemas/problems';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../problem-view';
import { violationFields } from '../violation-fields';
import { errorTypeOf } from '../tracing';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augmenting Express's own namespace
  namespace Express {
    interface Locals {
      /** The code of the problem this response carries, for the request metrics. */
      problemCode?: string;
    }
  }
}

interface Mapped {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly headers: Readonly<Record<string, string>>;
  /** An unexpected fault: logged with its stack, masked for the client. */
  readonly unexpected: boolean;
  /** Safe fields for the log line (names, never values). */
  readonly logFields?: Readonly<Record<string, unknown>>;
  /** The invalid fields of an invalid request, or the fields an integrity violation is about. */
  readonly errors?: readonly FieldError[];
}

// body-parser / raw-body errors carry a `type` and a 4xx status. Their messages can quote the
// request body, so each gets its code's fixed detail instead.
const PARSER_ERRORS: Readonly<Record<string, ProblemCode>> = {
  'entity.parse.failed': 'malformed_json',
  'entity.too.large': 'payload_too_large',
  'entity.verify.failed': 'invalid_body',
  'encoding.unsupported': 'unsupported_content_encoding',
  'charset.unsupported': 'unsupported_charset',
  'request.aborted': 'request_aborted',
  'request.size.invalid': 'invalid_content_length',
  'stream.encoding.set': 'invalid_body',
  'stream.not.readable': 'invalid_body',
  'parameters.too.many': 'too_many_parameters',
};

/**
 * The 4xx status of an error that says the request was bad: a body-parser error (a known `type`), an
 * http-errors error marked `expose`, or Express's own 400 for a path it cannot percent-decode (a URIError).
 * Any other status is a third-party client's (an HTTP client's 401 from another service): a fault of ours.
 */
function clientStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode, type, expose } = error as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown };
  const candidate = typeof status === 'number' ? status : statusCode;
  if (typeof candidate !== 'number' || candidate < 400 || candidate >= 500) return undefined;
  const trusted =
    (typeof type === 'string' && Object.hasOwn(PARSER_ERRORS, type)) || expose === true || (error instanceof URIError && candidate === 400);
  return trusted ? candidate : undefined;
}

function mapError(error: unknown, req: Request): Mapped {
  if (error instanceof HttpError) {
    // A 503 thrown on purpose (the request deadline, shutting down) is an operational condition, logged at
    // warn like a database outage; its stack (a timer's) says nothing. Any other 5xx HttpError is a fault.
    const unexpected = error.status >= 500 && !(error instanceof ServiceUnavailableError);
    const errors = error instanceof ValidationError ? { errors: error.errors } : {};
    // Why a token was refused, for the debug line only: the client is told nothing more than invalid_token.
    const logFields = error instanceof InvalidTokenError ? { logFields: { reason: error.reason } } : {};
    return { status: error.status, code: error.code, detail: error.detail, headers: error.headers, unexpected, ...errors, ...logFields };
  }
  const fault = classifyDatabaseFault(error);
  if (fault) return { status: 503, ...fault, headers: { 'Retry-After': RETRY_AFTER_SECONDS }, unexpected: false };
  // One rule for integrity violations (docs/api.md#integrity-violations): the request conflicts with the stored data (409).
  const violation = classifyConstraintViolation(error);
  if (violation) {
    const { code, detail, constraint, table } = violation;
    const errors = violationFields(violation, req);
    return {
      status: 409,
      code,
      detail,
      headers: {},
      unexpected: false,
      logFields: { constraint, table },
      ...(errors.length > 0 ? { errors } : {}),
    };
  }

  const status = clientStatus(error);
  if (status !== undefined) {
    const type = (error as { type?: unknown }).type;
    const code = (typeof type === 'string' && Object.hasOwn(PARSER_ERRORS, type) ? PARSER_ERRORS[type] : undefined) ?? 'bad_request';
    return { status, code, detail: PROBLEMS[code].detail, headers: {}, unexpected: false };
  }
  return { status: 500, code: 'internal_error', detail: PROBLEMS.internal_error.detail, headers: {}, unexpected: true };
}

/**
 * Writes the problem+json response for an error and logs it at the level it deserves. The one
 * place that turns errors into bodies: the error middleware and the request deadline use it.
 */
export function sendProblem(error: unknown, req: Request, res: Response, fallbackLogger: Logger): void {
  const mapped = mapError(error, req);
  // Locals are set by the request-id middleware; an error raised before it still gets answered.
  const log = res.locals.log ?? fallbackLogger;
  const requestId = res.locals.requestId ?? 'unknown';
  if (mapped.unexpected) log.error('request failed', { requestId, error, method: req.method });
  else if (mapped.status >= 500) log.warn('request failed: dependency unavailable', { requestId, code: mapped.code, error: String(error) });
  else if (log.isDebugEnabled())
    log.debug('request rejected', { requestId, status: mapped.status, code: mapped.code, ...mapped.logFields });

  res.locals.problemCode = mapped.code;
  if (mapped.status >= 500) res.locals.errorType = errorTypeOf(error);
  res.status(mapped.status);
  res.set({ ...mapped.headers, 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store' });
  res.send(
    JSON.stringify(problemBody({ status: mapped.status, code: mapped.code, detail: mapped.detail, requestId, errors: mapped.errors })),
  );
}

/** The terminal error middleware. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.writableEnded) {
      // Already answered (e.g. by the request deadline): what the handler did afterwards is moot.
      (res.locals.log ?? logger).debug('error after the response was sent', { requestId: res.locals.requestId, error: String(error) });
      return;
    }
    if (res.destroyed) {
      // The client went away (its request's signal fired): nobody is left to answer.
      (res.locals.log ?? logger).debug('error after the client went away', { requestId: res.locals.requestId, error: String(error) });
      return;
    }
    if (res.headersSent) {
      // Too late for a problem body mid-stream: let Express abort the connection.
      res.locals.errorType = errorTypeOf(error);
      (res.locals.log ?? logger).error('request failed after headers were sent', {
        requestId: res.locals.requestId,
        error,
        method: req.method,
      });
      next(error);
      return;
    }
    sendProblem(error, req, res, logger);
  };
}

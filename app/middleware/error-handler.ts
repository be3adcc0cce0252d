import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from '../../config/logger';
import { classifyConstraintViolation, classifyDatabaseFault } from '../../db/errors';
import { HttpError, ServiceUnavailableError, ValidationError, type FieldError } from '../errors';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../views/problem';

interface Mapped {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly headers: Readonly<Record<string, string>>;
  /** An unexpected fault: logged with its stack, masked for the client. */
  readonly unexpected: boolean;
  /** Safe fields for the log line (names, never values). */
  readonly logFields?: Readonly<Record<string, unknown>>;
  /** The invalid fields of an invalid request. */
  readonly errors?: readonly FieldError[];
}

// body-parser / raw-body errors carry a `type` and a 4xx status. Their messages can quote the
// request body, so each gets a fixed detail here instead.
const PARSER_ERRORS: Readonly<Record<string, { code: string; detail: string }>> = {
  'entity.parse.failed': { code: 'malformed_json', detail: 'The request body is not valid JSON.' },
  'entity.too.large': { code: 'payload_too_large', detail: 'The request body is larger than this service accepts.' },
  'entity.verify.failed': { code: 'invalid_body', detail: 'The request body was rejected.' },
  'encoding.unsupported': { code: 'unsupported_content_encoding', detail: 'The request body uses an unsupported Content-Encoding.' },
  'charset.unsupported': { code: 'unsupported_charset', detail: 'The request body uses an unsupported charset.' },
  'request.aborted': { code: 'request_aborted', detail: 'The request body was not received completely.' },
  'request.size.invalid': { code: 'invalid_content_length', detail: 'The request body does not match its Content-Length.' },
  'stream.encoding.set': { code: 'invalid_body', detail: 'The request body could not be read.' },
  'stream.not.readable': { code: 'invalid_body', detail: 'The request body could not be read.' },
  'parameters.too.many': { code: 'too_many_parameters', detail: 'The request has too many parameters.' },
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

function mapError(error: unknown): Mapped {
  if (error instanceof HttpError) {
    // A 503 thrown on purpose (the request deadline, shutting down) is an operational condition, logged at
    // warn like a database outage; its stack (a timer's) says nothing. Any other 5xx HttpError is a fault.
    const unexpected = error.status >= 500 && !(error instanceof ServiceUnavailableError);
    const errors = error instanceof ValidationError ? { errors: error.errors } : {};
    return { status: error.status, code: error.code, detail: error.detail, headers: error.headers, unexpected, ...errors };
  }
  const fault = classifyDatabaseFault(error);
  if (fault) return { status: 503, ...fault, headers: { 'Retry-After': '1' }, unexpected: false };
  // One rule for integrity violations: the request conflicts with the stored data (409), and may succeed once it changes.
  const violation = classifyConstraintViolation(error);
  if (violation) {
    const { code, detail, constraint, table } = violation;
    return { status: 409, code, detail, headers: {}, unexpected: false, logFields: { constraint, table } };
  }

  const status = clientStatus(error);
  if (status !== undefined) {
    const type = (error as { type?: unknown }).type;
    const known = typeof type === 'string' && Object.hasOwn(PARSER_ERRORS, type) ? PARSER_ERRORS[type] : undefined;
    return {
      status,
      code: known?.code ?? 'bad_request',
      detail: known?.detail ?? 'The request could not be processed.',
      headers: {},
      unexpected: false,
    };
  }
  return { status: 500, code: 'internal_error', detail: 'An unexpected error occurred.', headers: {}, unexpected: true };
}

/**
 * Writes the problem+json response for an error and logs it at the level it deserves. The one
 * place that turns errors into bodies: the error middleware and the request deadline use it.
 */
export function sendProblem(error: unknown, req: Request, res: Response, fallbackLogger: Logger): void {
  const mapped = mapError(error);
  // Locals are set by the request-id middleware; an error raised before it still gets answered.
  const log = res.locals.log ?? fallbackLogger;
  const requestId = res.locals.requestId ?? 'unknown';
  if (mapped.unexpected) log.error('request failed', { requestId, error, method: req.method });
  else if (mapped.status >= 500) log.warn('request failed: dependency unavailable', { requestId, code: mapped.code, error: String(error) });
  else if (log.isDebugEnabled())
    log.debug('request rejected', { requestId, status: mapped.status, code: mapped.code, ...mapped.logFields });

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

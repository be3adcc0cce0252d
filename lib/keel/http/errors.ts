import { PROBLEMS, RETRY_AFTER_SECONDS } from '../schemas/problems';

/**
 * Errors a controller throws on purpose. The terminal error middleware turns them into
 * problem+json bodies; anything else is an unexpected fault and is answered as a masked 500.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    /** Stable, machine-readable identifier clients may branch on. */
    readonly code: string,
    /** Safe to show to the client. */
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

export class NotFoundError extends HttpError {
  constructor() {
    super(404, 'not_found', PROBLEMS.not_found.detail);
  }
}

export class MethodNotAllowedError extends HttpError {
  constructor(allowed: readonly string[]) {
    super(405, 'method_not_allowed', PROBLEMS.method_not_allowed.detail.replace('{allowed}', allowed.join(', ')), {
      Allow: allowed.join(', '),
    });
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(code: string, detail: string) {
    super(503, code, detail, { 'Retry-After': RETRY_AFTER_SECONDS });
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor() {
    // Connection: close, because the body is never read: the socket cannot carry another request.
    super(415, 'unsupported_media_type', PROBLEMS.unsupported_media_type.detail, { Connection: 'close' });
  }
}

/** One invalid part of a request: where (a JSON Pointer such as /body/name) and a fixed text, never the value. */
export interface FieldError {
  readonly pointer: string;
  readonly detail: string;
}

/** A request whose params, query or body do not match its operation's schemas (lib/keel/http/validation.ts). */
export class ValidationError extends HttpError {
  constructor(readonly errors: readonly FieldError[]) {
    super(400, 'invalid_request', PROBLEMS.invalid_request.detail);
  }
}

import type { RequestHandler } from 'express';

/**
 * What the HTTP layer knows of traces, without OpenTelemetry: with tracing off nothing of it is loaded
 * (lib/keel/tracing is required by bin/www only when an endpoint is configured).
 */

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augmenting Express's own namespace
  namespace Express {
    interface Locals {
      /** The trace the request is served in; absent when tracing is off and for paths not traced (health, metrics). */
      trace?: TraceIds;
      /** The type of the error a 5xx answered (its class name, never its message), for the request's span. */
      errorType?: string;
    }
  }
}

/** A class, not a literal: one per request (docs/architecture.md#decisions-and-why, a request's objects die young). */
export class TraceIds {
  constructor(
    readonly traceId: string,
    readonly spanId: string,
    /** Recorded and exported: only then may an exemplar point at it. */
    readonly sampled: boolean,
  ) {}
}

/** The server spans: a middleware createApp mounts right after the request id. */
export interface RequestTracing {
  readonly middleware: RequestHandler;
}

/** Paths not traced: load balancers and scrapers call them every few seconds. */
export const isUntracedPath = (path: string): boolean => path === '/health' || path.startsWith('/health/') || path === '/metrics';

/** The name an error goes by in a span: its class, never its message (which could hold a secret). */
export function errorTypeOf(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? error.name : error.constructor.name;
  return typeof error;
}

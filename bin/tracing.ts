// Traces, when configured (config/tracing.ts): started in each process that serves (the only one, or each
// cluster worker), before the database and the app are built. Off, nothing of OpenTelemetry is loaded.
import type { Config } from '../config/env';
import type { ContextFields, Logger } from '../config/logger';
import { currentRequestFields } from '../lib/keel/http/request-scope';
import type { Tracing } from '../lib/keel/tracing';

/** How long shutdown waits, at most, for the last spans to be exported: a slow collector must not use up the deadline. */
export const TRACE_FLUSH_TIMEOUT_MS = 5_000;

export function startTracingIfOn(config: Config, logger: Logger): Tracing | undefined {
  if (!config.tracing.enabled) return undefined;
  // Required here, not imported: an import would load the SDK with tracing off too.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracing } = require('../lib/keel/tracing') as typeof import('../lib/keel/tracing');
  return startTracing(config.tracing, logger);
}

/** What every log line carries: the request's id and, once tracing has started, the ids of the span active where it is written. */
export function logContextFields(config: Config, tracing: () => Tracing | undefined): ContextFields {
  if (!config.tracing.enabled) return currentRequestFields;
  return () => {
    const request = currentRequestFields();
    const traced = tracing()?.logFields();
    if (!traced) return request;
    return request ? { ...request, ...traced } : traced;
  };
}

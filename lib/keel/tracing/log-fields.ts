import { context, trace } from '@opentelemetry/api';

/** The fields a log line gets from the span active where it is written (the request's, a statement's). */
export class TraceLogFields {
  constructor(
    readonly trace_id: string,
    readonly span_id: string,
  ) {}
}

export function activeTraceFields(): TraceLogFields | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return new TraceLogFields(traceId, spanId);
}

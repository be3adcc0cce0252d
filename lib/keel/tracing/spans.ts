import { context, SpanStatusCode, trace, type Attributes, type Span, type SpanKind, type Tracer } from '@opentelemetry/api';
import { errorTypeOf } from '../http/tracing';

/** A failure on a span: status ERROR and the error's type, never its message (it could hold a value or a secret). */
export function markFailed(span: Span, errorType: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.setAttribute('error.type', errorType);
  span.addEvent('exception', { 'exception.type': errorType });
}

/** Runs work as the active span's child; ended when work settles, failed when it throws. */
export async function inChildSpan<T>(
  tracer: Tracer,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(name, { kind, attributes });
  try {
    return await context.with(trace.setSpan(context.active(), span), work, undefined, span);
  } catch (error) {
    markFailed(span, errorTypeOf(error));
    const sqlState = (error as { parent?: { code?: unknown } } | null)?.parent?.code;
    if (typeof sqlState === 'string') span.setAttribute('db.response.status_code', sqlState);
    throw error;
  } finally {
    span.end();
  }
}

/** Whether the span active now is recorded: only then are children worth making. */
export const activeSpanRecording = (): boolean => trace.getSpan(context.active())?.isRecording() === true;

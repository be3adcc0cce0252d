import diagnostics from 'node:diagnostics_channel';
import { context, trace, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';

/** The part of undici's request (Node's fetch) its 'undici:request:create' message hands subscribers. */
interface UndiciRequest {
  addHeader(name: string, value: string): unknown;
}

const CREATED = 'undici:request:create';

const SETTER: TextMapSetter<UndiciRequest> = { set: (request, key, value) => void request.addHeader(key, value) };

/**
 * Every fetch made in a traced request carries the trace on (traceparent, tracestate). Node's fetch
 * announces each request it makes on a diagnostics channel, in the caller's async context, before it
 * is sent: nothing is patched, and a product calls fetch as it always does. Returns the unsubscribe.
 */
export function propagateIntoFetch(propagator: TextMapPropagator): () => void {
  const onCreate = (message: unknown): void => {
    const active = context.active();
    if (!trace.getSpanContext(active)) return;
    propagator.inject(active, (message as { request: UndiciRequest }).request, SETTER);
  };
  diagnostics.subscribe(CREATED, onCreate);
  return () => diagnostics.unsubscribe(CREATED, onCreate);
}

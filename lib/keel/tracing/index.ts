// Traces with OpenTelemetry: loaded by bin/www only when tracing is on (config/tracing.ts), so that with
// it off not one OpenTelemetry module is in the process. keel makes its own spans through the API (the
// request, the unit of work, each statement) rather than patching libraries: it knows the route, the
// request and the unit of work, and costs less (docs/benchmark-notes.md#traces).
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../../../config/tracing';
import type { Logger } from '../../../config/logger';
import type { DatabaseTracer } from '../db/traced';
import type { RequestTracing } from '../http/tracing';
import { databaseTracer } from './database';
import { BoundedQueue, CountingExporter, Drops } from './delivery';
import { propagateIntoFetch } from './fetch';
import { activeTraceFields, type TraceLogFields } from './log-fields';
import { samplerFor } from './sampler';
import { serverSpans } from './server-span';

export interface Tracing {
  readonly request: RequestTracing;
  readonly database: DatabaseTracer;
  /** trace_id and span_id of the span active where a log line is written. */
  logFields(): TraceLogFields | undefined;
  /** Spans dropped since boot: the queue was full, or an export failed. */
  droppedSpans(): number;
  /** Exports what is queued, then stops; gives up after timeoutMs. Resolves to whether everything was sent in time. */
  shutdown(timeoutMs: number): Promise<boolean>;
}

/**
 * Starts the SDK for this process (each cluster worker starts its own): a batch processor behind a
 * bounded, counted queue, the OTLP/HTTP exporter, the configured sampler, W3C trace context, and the
 * propagation into fetch. Registers the API's globals too, so a product's own spans join keel's.
 */
export function startTracing(config: TracingConfig, logger: Logger): Tracing {
  const drops = new Drops(logger);
  const Exporter = config.protocol === 'http/json' ? JsonExporter : ProtobufExporter;
  const exporter = new CountingExporter(new Exporter({ url: config.url, timeoutMillis: config.queue.exportTimeoutMs }), drops);
  const batch = new BatchSpanProcessor({
    exporter,
    maxQueueSize: config.queue.maxSize,
    maxExportBatchSize: config.queue.maxBatchSize,
    scheduledDelayMillis: config.queue.delayMs,
    exportTimeoutMillis: config.queue.exportTimeoutMs,
  });
  const queue = new BoundedQueue(batch, config.queue.maxSize, drops);
  exporter.queue = queue;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_VERSION]: config.serviceVersion,
      'process.pid': process.pid,
    }),
    sampler: samplerFor(config.sampler, config.ratio),
    spanProcessors: [queue],
  });
  const propagator = new W3CTraceContextPropagator();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(propagator);
  trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer('keel', config.serviceVersion);
  const stopPropagating = propagateIntoFetch(propagator);

  return {
    request: serverSpans(tracer, propagator),
    database: databaseTracer(tracer),
    logFields: activeTraceFields,
    droppedSpans: () => drops.total,
    async shutdown(timeoutMs) {
      stopPropagating();
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([
          provider.shutdown().then(
            () => true,
            () => false,
          ),
          gaveUp,
        ]);
      } finally {
        clearTimeout(timer);
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
}

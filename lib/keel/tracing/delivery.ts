import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Logger } from '../../../config/logger';

// Taken when tracing starts, at boot: the async context of no request.
const startupContext = AsyncLocalStorage.snapshot();

/** At most one line per this long about spans that were dropped: a collector that is down must not flood the log. */
export const DROP_LOG_INTERVAL_MS = 60_000;

/** Spans dropped instead of exported, counted for /metrics and logged at most once an interval. */
export class Drops {
  total = 0;
  private sinceLine = 0;
  private loggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number = DROP_LOG_INTERVAL_MS,
  ) {}

  add(count: number, reason: 'queue_full' | 'export_failed', error?: unknown): void {
    this.total += count;
    this.sinceLine += count;
    const now = performance.now();
    if (now - this.loggedAt < this.intervalMs) return;
    this.loggedAt = now;
    // The code only (ECONNREFUSED, an HTTP status): an exporter's message can quote the collector's answer.
    const code = (error as { code?: unknown } | undefined)?.code;
    const fields = {
      dropped: this.sinceLine,
      reason,
      ...(code === undefined ? {} : { code: String(code) }),
      nextLineAfterMs: this.intervalMs,
    };
    this.sinceLine = 0;
    // Not the line of whichever request's span happened to be dropped.
    startupContext(() => this.logger.warn('trace spans dropped', fields));
  }
}

/**
 * In front of the BatchSpanProcessor: counts what is handed to it and not yet exported, and drops (and
 * counts) a span when that reaches the queue's size, so the processor never drops one silently. A span
 * is handed over in no request's context: the export timer it may start would otherwise keep that
 * request's context, and the export's log line its request id.
 */
export class BoundedQueue implements SpanProcessor {
  private pending = 0;
  private readonly forward = (span: ReadableSpan): void => this.batch.onEnd(span);

  constructor(
    private readonly batch: SpanProcessor,
    private readonly maxSize: number,
    private readonly drops: Drops,
  ) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.pending >= this.maxSize) {
      this.drops.add(1, 'queue_full');
      return;
    }
    this.pending++;
    startupContext(this.forward, span);
  }

  /** Spans whose export ended, exported or not: they left the queue. */
  settled(count: number): void {
    this.pending -= count;
  }

  forceFlush(): Promise<void> {
    return this.batch.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.batch.shutdown();
  }
}

/** The OTLP exporter, reporting each export's spans as settled, and counting a failed export's as dropped. */
export class CountingExporter implements SpanExporter {
  queue: Pick<BoundedQueue, 'settled'> | undefined;

  constructor(
    private readonly inner: SpanExporter,
    private readonly drops: Drops,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      this.queue?.settled(spans.length);
      if (result.code !== ExportResultCode.SUCCESS) this.drops.add(spans.length, 'export_failed', result.error);
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

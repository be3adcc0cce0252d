import client from 'prom-client';
import type { AcquireListener, PoolStats } from '../db';

/** A probe's latest result as the metrics read it; replication only from a replica that answered. */
export interface ProbeSample {
  readonly status: string;
  readonly responseTimeMs: number;
  readonly replication?: { readonly replayLagMs: number | null };
}

/** Which pool a series is of: pool 'primary', or pool 'replica' with the replica's host:port. */
export interface PoolLabels {
  readonly pool: 'primary' | 'replica';
  readonly replica?: string;
}

export interface MetricsSources {
  /** Pool counters, one entry per pool. */
  readonly pools: () => readonly (PoolLabels & { readonly stats: PoolStats })[];
  /** The latest finished health probe of each pool, without running a new one. */
  readonly probes: () => readonly (PoolLabels & { readonly result: ProbeSample | undefined })[];
  /** Subscribes to the duration of every connection checkout (Database.onAcquire). */
  readonly acquires?: (listener: AcquireListener) => void;
  /**
   * A label naming this process among a cluster's workers, put on Node's process and event-loop
   * metrics only: heap, RSS and event-loop lag mean nothing summed across workers.
   */
  readonly worker?: string;
  /** Spans dropped by the trace exporter since boot (lib/keel/tracing); absent when tracing is off. */
  readonly droppedSpans?: () => number;
}

/** The text format of a scrape: Prometheus' own, or OpenMetrics (which carries exemplars) when the scraper asks for it. */
export type MetricsFormat = 'prometheus' | 'openmetrics';

export interface Metrics {
  /** This process's own metrics. */
  readonly registry: client.Registry;
  /**
   * code: the problem code of an error response (problem+json), which also counts it by code. traceId: the
   * request's sampled trace, kept as the exemplar of the bucket the duration falls in.
   */
  observeRequest(
    labels: { method: string; route: string; status: number; code?: string | undefined },
    seconds: number,
    traceId?: string,
  ): void;
  /**
   * The body GET /metrics serves: this registry's metrics in one process; in a cluster worker, bin
   * replaces it with the whole process tree's metrics, aggregated by the primary.
   */
  scrape(format?: MetricsFormat): Promise<string>;
}

const POOL_STATES = ['size', 'available', 'using', 'waiting', 'max'] as const;
const TOTAL_NAMED_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** A series' pool labels: replica only on a replica's, so the primary's keep the labels they always had. */
const labelsOf = (pool: string, replica: string | undefined): { pool: string; replica?: string } =>
  replica === undefined ? { pool } : { pool, replica };

/**
 * The Prometheus registry: request durations by method, route template (never the raw URL, which
 * would make one series per id) and status; pool gauges per pool; the latest probe per pool (each
 * replica's series carry pool="replica" and replica="host:port");
 * Node's process and event-loop metrics. Gauges are read when scraped, not kept up to date. Across
 * cluster workers counters and histograms are summed, and so are the pool gauges (connections of
 * the whole process tree).
 */
export function createMetrics(sources: MetricsSources, { exemplars = false }: { exemplars?: boolean } = {}): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, ...(sources.worker ? { labels: { worker: sources.worker } } : {}) });
  // Prometheus keeps the _total suffix for counters, and `promtool check metrics` rejects these
  // gauges; each total is the sum of the same metric without _total, which is kept (by type).
  for (const name of TOTAL_NAMED_GAUGES) registry.removeSingleMetric(name);

  const requestDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25],
    enableExemplars: exemplars,
    // Registered below: prom-client refuses exemplars on a registry whose default format is Prometheus',
    // which this one keeps (a scraper that asks for OpenMetrics gets it, exemplars included: scrapeAs).
    registers: [],
  });
  registry.registerMetric(requestDuration);

  const problems = new client.Counter({
    name: 'keel_http_problems_total',
    help: 'Problem (error) responses by route template, status and problem code',
    labelNames: ['route', 'status', 'code'] as const,
    registers: [registry],
  });

  const acquireDuration = new client.Histogram({
    name: 'keel_db_pool_acquire_seconds',
    help: 'Time to check a connection out of the pool by pool (and replica), timeouts included',
    labelNames: ['pool', 'replica'] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  sources.acquires?.((pool, seconds, replica) => acquireDuration.observe(labelsOf(pool, replica), seconds));

  new client.Gauge({
    name: 'keel_db_pool_connections',
    help: 'Database pool connections by pool (and replica) and state (size = open, available = idle, using, waiting = queued callers, max)',
    labelNames: ['pool', 'replica', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { pool, replica, stats } of sources.pools()) {
        for (const state of POOL_STATES) this.set({ ...labelsOf(pool, replica), state }, stats[state]);
      }
    },
  });

  new client.Gauge({
    name: 'keel_db_probe_up',
    help: 'Latest database health probe result by pool (and replica): 1 pass or warn, 0 fail (absent before the first probe)',
    labelNames: ['pool', 'replica'] as const,
    registers: [registry],
    // Across cluster workers: down if any worker's probe failed.
    aggregator: 'min',
    collect() {
      this.reset();
      for (const { pool, replica, result } of sources.probes())
        if (result) this.set(labelsOf(pool, replica), result.status === 'fail' ? 0 : 1);
    },
  });

  new client.Gauge({
    name: 'keel_db_probe_duration_seconds',
    help: 'Duration of the latest database health probe by pool (and replica)',
    labelNames: ['pool', 'replica'] as const,
    registers: [registry],
    // Across cluster workers: the slowest.
    aggregator: 'max',
    collect() {
      this.reset();
      for (const { pool, replica, result } of sources.probes()) if (result) this.set(labelsOf(pool, replica), result.responseTimeMs / 1000);
    },
  });

  new client.Gauge({
    name: 'keel_db_replica_lag_seconds',
    help: 'Replay lag of each read replica at its latest probe by pool and replica (absent until a streaming replica answers)',
    labelNames: ['pool', 'replica'] as const,
    registers: [registry],
    // Across cluster workers: the worst any worker saw.
    aggregator: 'max',
    collect() {
      this.reset();
      for (const { pool, replica, result } of sources.probes()) {
        const lagMs = result?.replication?.replayLagMs;
        if (lagMs !== undefined && lagMs !== null) this.set(labelsOf(pool, replica), lagMs / 1000);
      }
    },
  });

  if (sources.droppedSpans) {
    const droppedSpans = sources.droppedSpans;
    new client.Counter({
      name: 'keel_trace_spans_dropped_total',
      help: 'Spans dropped instead of exported: the queue was full, or the collector failed or did not answer in time',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(droppedSpans());
      },
    });
  }

  const observeDuration = exemplars
    ? (labels: { method: string; route: string; status: string }, seconds: number, traceId: string | undefined): void =>
        requestDuration.observe({
          labels,
          value: seconds,
          // prom-client types an exemplar's labels as the metric's own; OpenMetrics lets them be any (here trace_id).
          exemplarLabels: (traceId === undefined ? NO_EXEMPLAR : { trace_id: traceId }) as client.LabelValues<'method'>,
        })
    : (labels: { method: string; route: string; status: string }, seconds: number): void => requestDuration.observe(labels, seconds);
  return {
    registry,
    observeRequest: ({ method, route, status, code }, seconds, traceId) => {
      observeDuration({ method, route, status: String(status) }, seconds, traceId);
      if (code) problems.inc({ route, status: String(status), code });
    },
    scrape: (format = 'prometheus') => scrapeAs(registry, format),
  };
}

const NO_EXEMPLAR = Object.freeze({});

/**
 * The registry's metrics in the format asked for. OpenMetrics through a registry made for this scrape:
 * prom-client picks the format by the registry, not by the call. Its OpenMetrics output renames each
 * counter in place (it strips _total from the metric's name), so counters go in as objects inheriting
 * from the real ones: the renaming lands on them, and the next Prometheus scrape still says _total.
 */
export function scrapeAs(registry: client.Registry<client.RegistryContentType>, format: MetricsFormat): Promise<string> {
  if (format === 'prometheus') return registry.metrics();
  const openMetrics = new client.Registry<client.OpenMetricsContentType>();
  openMetrics.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  // getMetricsAsArray's type (MetricObject) is the metric's data; what it returns are the metrics themselves.
  for (const metric of registry.getMetricsAsArray() as unknown as client.Metric[]) {
    const { type } = metric as unknown as { type: string };
    openMetrics.registerMetric(type === 'counter' ? (Object.create(metric) as client.Metric) : metric);
  }
  return openMetrics.metrics();
}

import { AggregatorRegistry, type Registry, type RegistryContentType } from 'prom-client';

/** One worker's registry as getMetricsAsJSON gives it (and cluster IPC carries it). */
export type WorkerMetrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

interface Exemplar {
  readonly labelSet: Record<string, string | number>;
  readonly value: number;
  readonly timestamp: number;
}

interface Value {
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
  exemplar?: Exemplar;
}

/** A value's identity across workers: its series name and its labels, in any order. */
const seriesOf = (metric: string, value: Value): string =>
  JSON.stringify([value.metricName ?? metric, Object.entries(value.labels).sort(([a], [b]) => a.localeCompare(b))]);

const valuesOf = (metric: unknown): Value[] => (metric as { values?: Value[] }).values ?? [];

/**
 * The workers' metrics as one registry: prom-client's AggregatorRegistry.aggregate sums each series, and this
 * gives each summed series back the newest exemplar any worker held for it, which the aggregation drops (a
 * latency spike on a cluster's dashboard still leads to a trace).
 */
export function aggregateWorkers(received: readonly WorkerMetrics[]): Registry<RegistryContentType> {
  const newest = new Map<string, Exemplar>();
  for (const metrics of received) {
    for (const metric of metrics) {
      for (const value of valuesOf(metric)) {
        const { exemplar } = value;
        // prom-client keeps an empty exemplar (no labels) for a bucket that never had one.
        if (!exemplar || Object.keys(exemplar.labelSet).length === 0) continue;
        const series = seriesOf(metric.name, value);
        if ((newest.get(series)?.timestamp ?? -Infinity) < exemplar.timestamp) newest.set(series, exemplar);
      }
    }
  }
  const aggregated = AggregatorRegistry.aggregate([...received]);
  if (newest.size === 0) return aggregated;
  // getMetricsAsArray returns the aggregated metrics themselves: their values are what a scrape prints.
  for (const metric of aggregated.getMetricsAsArray()) {
    for (const value of valuesOf(metric)) {
      const exemplar = newest.get(seriesOf(metric.name, value));
      if (exemplar) value.exemplar = exemplar;
    }
  }
  return aggregated;
}

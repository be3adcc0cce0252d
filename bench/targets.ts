// Every target the bench checks, in one table. The report code reads each bound and comparison
// from here, for the verdict and for the words of the target in the report.

/** How the measured value must compare to the bound. */
export type Comparison = '≥' | '≤' | '<' | '=';

/** A keel setting a bound is relative to: the bound is added to the value keel runs with. */
export type RelativeTo = 'DB_PROBE_TIMEOUT_MS' | 'SHUTDOWN_TIMEOUT_MS';

export interface Target {
  readonly name: string;
  /** The bench mode that measures it: npm run bench, bench:faults, bench:resource or bench:traces. */
  readonly mode: 'throughput' | 'faults' | 'resource' | 'traces';
  /** What is measured and compared to the bound. */
  readonly metric: string;
  readonly comparison: Comparison;
  readonly bound: number;
  readonly relativeTo?: RelativeTo;
}

export const TARGETS = [
  {
    name: 'health throughput',
    mode: 'throughput',
    metric: 'GET /health requests per second / the baseline’s, with no non-2xx answer and no error',
    comparison: '≥',
    bound: 0.9,
  },
  {
    name: 'database health throughput',
    mode: 'throughput',
    metric: 'GET /health/db requests per second / the baseline’s, with no non-2xx answer and no error',
    comparison: '≥',
    bound: 0.85,
  },
  {
    name: 'health p99',
    mode: 'throughput',
    metric: 'p99 latency of GET /health, /health/db and /health/ready / the baseline’s',
    comparison: '≤',
    bound: 1.2,
  },
  {
    name: 'probe statements',
    mode: 'throughput',
    metric: 'probe statements per probe window (DB_PROBE_CACHE_MS) under load on /health/db',
    comparison: '≤',
    bound: 1,
  },
  {
    name: 'database down p99',
    mode: 'faults',
    metric: 'ms of GET /health/db p99 with the database down (no error) beyond the probe timeout: HTTP, event loop, scheduling',
    comparison: '≤',
    bound: 100,
    relativeTo: 'DB_PROBE_TIMEOUT_MS',
  },
  {
    name: 'database down answers 503',
    mode: 'faults',
    metric: 'share of GET /health/db answers that are 503 with the database down',
    comparison: '=',
    bound: 1,
  },
  {
    name: 'liveness p99 with the database down',
    mode: 'faults',
    metric: 'ms of GET /health p99 while the database is down, every answer 200',
    comparison: '≤',
    bound: 100,
  },
  {
    name: 'shutdown failed requests',
    mode: 'faults',
    metric: 'requests that failed (not answered, not refused) when SIGTERM arrives under load',
    comparison: '=',
    bound: 0,
  },
  {
    name: 'shutdown exit',
    mode: 'faults',
    metric: 'ms from SIGTERM to exit 0 (no "deadline passed" in the log) beyond the shutdown deadline',
    comparison: '<',
    bound: 0,
    relativeTo: 'SHUTDOWN_TIMEOUT_MS',
  },
  {
    name: 'resource read throughput',
    mode: 'resource',
    metric:
      'GET /widgets/:id and the list: requests per second / the baseline’s sending the same statement, with no non-2xx answer and no error',
    comparison: '≥',
    bound: 0.85,
  },
  {
    name: 'resource write throughput',
    mode: 'resource',
    metric:
      'POST, PATCH and DELETE: requests per second / the baseline’s sending the same statements (begin with the settings, the statement, commit), with no non-2xx answer and no error',
    comparison: '≥',
    bound: 0.75,
  },
  {
    name: 'resource write against autocommit',
    mode: 'resource',
    metric: 'a one-statement write: requests per second / the baseline’s sending the statement alone (autocommit, one round trip)',
    comparison: '≥',
    bound: 0.5,
  },
  {
    name: 'resource p99',
    mode: 'resource',
    metric: 'p99 latency of each operation / the baseline’s sending the same statements',
    comparison: '≤',
    bound: 1.3,
  },
  {
    name: 'resource GET authenticated throughput',
    mode: 'resource',
    metric:
      'GET /widgets/:id requests per second with a bearer token (verified once, then found in the cache) / the same build’s with AUTH=off and no token, with no non-2xx answer and no error',
    comparison: '≥',
    bound: 0.9,
  },
  {
    name: 'resource round trips',
    mode: 'resource',
    metric:
      'SQL round trips per request beyond its own statements (the commit: the begin with the settings travels with the first statement), on plaintext connections',
    comparison: '≤',
    bound: 1,
  },
  {
    name: 'traces on throughput',
    mode: 'traces',
    metric: 'GET /widgets/:id requests per second with tracing on at the default sampling (10%) / the same build’s with tracing off',
    comparison: '≥',
    bound: 0.8,
  },
  {
    name: 'traces off throughput',
    mode: 'traces',
    metric: 'GET /widgets/:id requests per second with tracing off / a build without tracing’s (off must be free)',
    comparison: '≥',
    bound: 0.98,
  },
  {
    name: 'resource memory growth',
    mode: 'resource',
    metric: '% growth of RSS and of the heap after a forced GC over a steady run, from the end of its warm-up to its end',
    comparison: '<',
    bound: 10,
  },
] as const satisfies readonly Target[];

export type TargetName = (typeof TARGETS)[number]['name'];

export function target(name: TargetName): Target {
  const found = TARGETS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no bench target "${name}"`);
  return found;
}

/** The bound, plus the setting's value when the target is relative to one. */
export function boundOf(of: Target, settingValue?: number): number {
  if (of.relativeTo === undefined) return of.bound;
  if (settingValue === undefined) throw new Error(`the target "${of.name}" needs the value of ${of.relativeTo}`);
  return settingValue + of.bound;
}

/** Whether a measured value meets the target (settingValue: see boundOf). */
export function meets(of: Target, value: number, settingValue?: number): boolean {
  const bound = boundOf(of, settingValue);
  switch (of.comparison) {
    case '≥':
      return value >= bound;
    case '≤':
      return value <= bound;
    case '<':
      return value < bound;
    case '=':
      return value === bound;
  }
}

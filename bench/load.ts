// Load generators: autocannon for throughput and latency, and a plain keep-alive client loop for
// the shutdown scenario, where each request's fate must be known.
import autocannon from 'autocannon';
import http from 'node:http';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Per-request timeout, seconds. */
  readonly timeoutSeconds?: number;
  /** Latencies are recorded here too (see mergeLoads); the result's percentiles are always this run's own. */
  readonly alsoRecordInto?: RecordableHistogram;
  /** GET without a body unless told otherwise. */
  readonly request?: RequestShape;
}

/**
 * What each request sends; body and path are called for each request (unique values for unique columns,
 * a row of its own to change or delete). path replaces the URL's path.
 */
export interface RequestShape {
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly body?: () => string;
  readonly path?: () => string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LoadResult {
  readonly url: string;
  /** Responses received (any status). */
  readonly responses: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  /** Latency of every response (any status), milliseconds, microsecond resolution. */
  readonly latencyMs: { readonly p50: number; readonly p97_5: number; readonly p99: number; readonly max: number };
  readonly non2xx: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly timeouts: number;
  readonly errorCodes: Readonly<Record<string, number>>;
  /** CPU used by this (the load generator's) process, as a share of one core. */
  readonly clientCpuShare: number;
}

/**
 * Runs autocannon in this process. Latency is recorded from autocannon's per-response timing
 * into a microsecond histogram (autocannon's own histogram has a 1 ms resolution, too coarse
 * for loopback).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const histogram = createHistogram();
  const statusCodes: Record<string, number> = {};
  const errorCodes: Record<string, number> = {};
  let responses = 0;
  let non2xx = 0;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();

  const body = options.request?.body;
  const pathOf = options.request?.path;
  const perRequest = (request: autocannon.Request): autocannon.Request => ({
    ...request,
    ...(body ? { body: body() } : {}),
    ...(pathOf ? { path: pathOf() } : {}),
  });
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: options.request?.method ?? 'GET',
        ...(options.request?.headers ? { headers: { ...options.request.headers } } : {}),
        // autocannon 8's idReplacement sends nothing at all; setupRequest does the same job.
        ...(body || pathOf ? { requests: [{ setupRequest: perRequest }] } : {}),
        connections: options.connections,
        duration: options.durationSeconds,
        timeout: options.timeoutSeconds ?? 30,
        // Latency of non-2xx responses counts too (a 503 in 2 s is still 2 s).
        excludeErrorStats: false,
      },
      (error, finished) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(finished)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      responses += 1;
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      if (statusCode < 200 || statusCode > 299) non2xx += 1;
      const micros = Math.max(1, Math.round(responseTime * 1000));
      histogram.record(micros);
      options.alsoRecordInto?.record(micros);
    });
    instance.on('reqError', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.message;
      errorCodes[code] = (errorCodes[code] ?? 0) + 1;
    });
  });

  const wallMs = performance.now() - wallBefore;
  const cpu = process.cpuUsage(cpuBefore);
  const ms = (micros: number): number => (responses ? micros / 1000 : Number.NaN);
  return {
    url: options.url,
    responses,
    durationSeconds: result.duration,
    requestsPerSecond: responses / result.duration,
    latencyMs: {
      p50: ms(histogram.percentile(50)),
      p97_5: ms(histogram.percentile(97.5)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
    },
    non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    errorCodes,
    clientCpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
  };
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
}

/** Several runs against the same server as one: counts summed, latency percentiles from the histogram all of them recorded into. */
export function mergeLoads(parts: readonly LoadResult[], latencies: RecordableHistogram): LoadResult {
  const statusCodes: Record<string, number> = {};
  const errorCodes: Record<string, number> = {};
  const sum = (pick: (part: LoadResult) => number): number => parts.reduce((total, part) => total + pick(part), 0);
  for (const part of parts) {
    addCounts(statusCodes, part.statusCodes);
    addCounts(errorCodes, part.errorCodes);
  }
  const responses = sum((part) => part.responses);
  const durationSeconds = sum((part) => part.durationSeconds);
  const ms = (micros: number): number => (responses ? micros / 1000 : Number.NaN);
  return {
    url: parts[0]?.url ?? '',
    responses,
    durationSeconds,
    requestsPerSecond: responses / durationSeconds,
    latencyMs: {
      p50: ms(latencies.percentile(50)),
      p97_5: ms(latencies.percentile(97.5)),
      p99: ms(latencies.percentile(99)),
      max: ms(latencies.max),
    },
    non2xx: sum((part) => part.non2xx),
    statusCodes,
    errors: sum((part) => part.errors),
    timeouts: sum((part) => part.timeouts),
    errorCodes,
    clientCpuShare: sum((part) => part.clientCpuShare * part.durationSeconds) / durationSeconds,
  };
}

export interface ClosedLoopOptions {
  readonly port: number;
  readonly path: string;
  readonly clients: number;
  readonly durationSeconds: number;
  readonly timeoutSeconds: number;
  /** Each client starts at most one request per interval (a paced load that does not saturate the server). */
  readonly intervalMs: number;
}

/**
 * K clients on a keep-alive agent, each sending its next request when the last one is answered
 * and its interval has passed, for the duration; then every request still in flight is waited
 * for (up to its timeout). Unlike
 * autocannon, which drops the requests in flight when the time is up, slow answers are all counted:
 * with the database down they are the point.
 */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const histogram = createHistogram();
  const statusCodes: Record<string, number> = {};
  const errorCodes: Record<string, number> = {};
  let responses = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;

  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const sent = performance.now();
      const req = http.get(
        { host: '127.0.0.1', port: options.port, path: options.path, agent, timeout: options.timeoutSeconds * 1000 },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            responses += 1;
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            if (status < 200 || status > 299) non2xx += 1;
            histogram.record(Math.max(1, Math.round((performance.now() - sent) * 1000)));
            resolve();
          });
        },
      );
      req.on('timeout', () => {
        timeouts += 1;
        req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' }));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        errors += 1;
        const code = error.code ?? error.message;
        errorCodes[code] = (errorCodes[code] ?? 0) + 1;
        resolve();
      });
    });

  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  await Promise.all(
    Array.from({ length: options.clients }, async (_, index) => {
      // Spread the clients over the interval rather than firing them all at once.
      await pause((options.intervalMs * index) / options.clients);
      while (performance.now() < deadline) {
        const started = performance.now();
        await one();
        const rest = options.intervalMs - (performance.now() - started);
        if (rest > 0 && performance.now() + rest < deadline) await pause(rest);
      }
    }),
  );
  agent.destroy();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const ms = (micros: number): number => (responses ? micros / 1000 : Number.NaN);
  return {
    url: `http://127.0.0.1:${options.port}${options.path}`,
    responses,
    durationSeconds: wallMs / 1000,
    requestsPerSecond: responses / (wallMs / 1000),
    latencyMs: {
      p50: ms(histogram.percentile(50)),
      p97_5: ms(histogram.percentile(97.5)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
    },
    non2xx,
    statusCodes,
    errors,
    timeouts,
    errorCodes,
    clientCpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
  };
}

/** What happened to one request of the shutdown scenario. */
export type Outcome =
  | { readonly kind: '2xx'; readonly status: number }
  | { readonly kind: 'non-2xx'; readonly status: number }
  | { readonly kind: 'refused' }
  | { readonly kind: 'failed'; readonly code: string; readonly reusedSocket: boolean };

export interface ShutdownLoadOptions {
  readonly port: number;
  readonly path: string;
  readonly clients: number;
  /** Called once, this long after the load started; returns when the signal was sent (performance.now()). */
  readonly signalAfterMs: number;
  readonly signal: () => number;
  /** Resolves when the server process has exited. */
  readonly exited: Promise<unknown>;
  /** Stop the clients at the latest this long after the signal. */
  readonly capAfterSignalMs: number;
}

export interface ShutdownLoadResult {
  readonly beforeSignal: Tally;
  readonly afterSignal: Tally;
  /** Longest response time of a request in flight or started after the signal, ms. */
  readonly maxLatencyAfterSignalMs: number;
  /** Requests still unanswered when the clients were stopped (should be 0). */
  readonly abandoned: number;
}

export interface Tally {
  ok: number;
  non2xx: number;
  statuses: Record<string, number>;
  refused: number;
  failed: number;
  failedCodes: Record<string, number>;
}

const emptyTally = (): Tally => ({ ok: 0, non2xx: 0, statuses: {}, refused: 0, failed: 0, failedCodes: {} });

function request(agent: http.Agent, port: number, path: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, timeout: 60_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status <= 299 ? { kind: '2xx', status } : { kind: 'non-2xx', status });
      });
      res.on('error', (error: NodeJS.ErrnoException) => {
        resolve({ kind: 'failed', code: error.code ?? error.message, reusedSocket: req.reusedSocket });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve({ kind: 'refused' });
      else resolve({ kind: 'failed', code: error.code ?? error.message, reusedSocket: req.reusedSocket });
    });
  });
}

/**
 * K clients, each sending one request after the other on a shared keep-alive agent (as a load
 * balancer or a service mesh does), with the signal sent halfway. A client stops at its first
 * "connection refused" (the listener is closed for good), when the server has exited, or at the cap.
 */
export async function runShutdownLoad(options: ShutdownLoadOptions): Promise<ShutdownLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const beforeSignal = emptyTally();
  const afterSignal = emptyTally();
  let signalledAt: number | undefined;
  let exited = false;
  let stopAt = Number.POSITIVE_INFINITY;
  let maxLatencyAfterSignalMs = 0;
  let pending = 0;
  void options.exited.then(() => {
    exited = true;
  });
  const timer = setTimeout(() => {
    signalledAt = options.signal();
    stopAt = signalledAt + options.capAfterSignalMs;
  }, options.signalAfterMs);

  const client = async (): Promise<void> => {
    while (!exited && performance.now() < stopAt) {
      const started = performance.now();
      pending += 1;
      const outcome = await request(agent, options.port, options.path);
      pending -= 1;
      const tally = signalledAt === undefined ? beforeSignal : afterSignal;
      if (signalledAt !== undefined) maxLatencyAfterSignalMs = Math.max(maxLatencyAfterSignalMs, performance.now() - started);
      if (outcome.kind === '2xx') tally.ok += 1;
      else if (outcome.kind === 'non-2xx') {
        tally.non2xx += 1;
        tally.statuses[outcome.status] = (tally.statuses[outcome.status] ?? 0) + 1;
      } else if (outcome.kind === 'refused') {
        tally.refused += 1;
        return;
      } else {
        tally.failed += 1;
        const key = `${outcome.code}${outcome.reusedSocket ? ' (reused keep-alive socket)' : ' (new connection)'}`;
        tally.failedCodes[key] = (tally.failedCodes[key] ?? 0) + 1;
      }
    }
  };

  const clients = Array.from({ length: options.clients }, () => client());
  // A client whose request never ends must not hold the bench: give up at the cap.
  const cap = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (performance.now() > stopAt + 2_000) {
        clearInterval(check);
        resolve();
      }
    }, 100);
    void Promise.all(clients).then(() => {
      clearInterval(check);
      resolve();
    });
  });
  await cap;
  clearTimeout(timer);
  agent.destroy();
  return { beforeSignal, afterSignal, maxLatencyAfterSignalMs, abandoned: pending };
}

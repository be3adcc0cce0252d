// The default mode: the baseline and keel's health endpoints under the same load, taking turns,
// each on a warm server, with server CPU time and the database's statement count.
import crypto from 'node:crypto';
import { createHistogram } from 'node:perf_hooks';
import type { BenchDatabase } from './database';
import { get, startBaseline, startKeel, type Answer, type ServerProcess } from './keel';
import { mergeLoads, runLoad, type LoadResult, type RequestShape } from './load';
import type { EndpointRun } from './report';
import { processCpuMicros } from './process-cpu';

export interface ThroughputOptions {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly probeWindowMs: number;
  readonly shutdownGraceMs: number;
  readonly log: (line: string) => void;
}

/** One keel server measured on one endpoint, with the settings that make the variant. */
interface KeelRun {
  readonly endpoint: string;
  readonly label: string;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The three health endpoints, then /health again with metrics on (METRICS_TOKEN enables the
 * request-duration histogram on every request) and with two workers (WEB_CONCURRENCY=2; server
 * CPU covers the whole process tree). The targets are judged on the first three.
 */
export const KEEL_RUNS: readonly KeelRun[] = [
  { endpoint: '/health', label: 'keel /health' },
  { endpoint: '/health/ready', label: 'keel /health/ready' },
  { endpoint: '/health/db', label: 'keel /health/db' },
  { endpoint: '/health', label: 'keel /health, metrics on', env: { METRICS_TOKEN: crypto.randomBytes(24).toString('hex') } },
  { endpoint: '/health', label: 'keel /health, 2 workers', env: { WEB_CONCURRENCY: '2' } },
];

/**
 * Keel and the baseline take turns on each endpoint, in this many slices each (ABBA order): this
 * machine's speed drifts by 20% and more within a minute (other tenants), and a drift then moves
 * both sides alike instead of landing on one of them.
 */
export const SLICES = 5;

export interface Measured {
  readonly load: LoadResult;
  readonly serverCpuMicrosPerRequest: number;
  readonly serverCpuShare: number;
  /** Every response the server gave: the warm-up and the measured slices. */
  readonly responses: number;
  /** Under load (warm-up and slices), ms, and the probe windows that time can hold. */
  readonly loadMs: number;
  readonly windows: number;
  /** Requests per second of each measured slice. */
  readonly turnRates: readonly number[];
}

/**
 * What opening connections costs, apart from the probe: per session PostgreSQL's startup
 * transaction and keel's session-setup statement; once per process (its first connection)
 * Sequelize's lookup of type OIDs in pg_type.
 */
export function connectionStatements(sessions: number): number {
  return sessions ? 2 * sessions + 1 : 0;
}

/** One server's share of a paired measurement, accumulated slice by slice. */
export class Side {
  private readonly parts: LoadResult[] = [];
  private readonly latencies = createHistogram();
  private cpuMicros = 0;
  private measuredMs = 0;
  private responses = 0;
  private loadMs = 0;
  private windows = 0;

  constructor(
    private readonly server: ServerProcess,
    private readonly url: string,
    private readonly options: Pick<ThroughputOptions, 'connections' | 'warmupSeconds' | 'probeWindowMs'>,
    private readonly request: RequestShape = {},
    /** Before each spell of load, outside the time and CPU measured (rows for it to delete). */
    private readonly prepare?: (seconds: number) => Promise<void>,
  ) {}

  /** Load that is not measured (but counts as load for the probe windows). */
  async warmUp(): Promise<void> {
    await this.prepare?.(this.options.warmupSeconds);
    const started = performance.now();
    const load = await runLoad({
      url: this.url,
      connections: this.options.connections,
      durationSeconds: this.options.warmupSeconds,
      request: this.request,
    });
    this.countLoaded(performance.now() - started, load.responses);
  }

  async slice(seconds: number): Promise<void> {
    await this.prepare?.(seconds);
    const cpuBefore = processCpuMicros(this.server.pid);
    const started = performance.now();
    const load = await runLoad({
      url: this.url,
      connections: this.options.connections,
      durationSeconds: seconds,
      alsoRecordInto: this.latencies,
      request: this.request,
    });
    const ms = performance.now() - started;
    this.cpuMicros += processCpuMicros(this.server.pid) - cpuBefore;
    this.measuredMs += ms;
    this.parts.push(load);
    this.countLoaded(ms, load.responses);
  }

  private countLoaded(ms: number, responses: number): void {
    this.loadMs += ms;
    this.responses += responses;
    // A spell of load starts a probe at once and one more each time a window ends.
    this.windows += Math.floor(ms / this.options.probeWindowMs) + 1;
  }

  result(): Measured {
    const load = mergeLoads(this.parts, this.latencies);
    return {
      load,
      serverCpuMicrosPerRequest: load.responses ? this.cpuMicros / load.responses : Number.NaN,
      serverCpuShare: this.cpuMicros / 1000 / this.measuredMs,
      responses: this.responses,
      loadMs: this.loadMs,
      windows: this.windows,
      turnRates: this.parts.map((part) => part.requestsPerSecond),
    };
  }
}

/** Both warmed up (not counted), then SLICES turns each on urlPath, the baseline always on /health. */
function measurePair(
  baseline: ServerProcess,
  keel: ServerProcess,
  urlPath: string,
  options: ThroughputOptions,
): Promise<{ baseline: Measured; keel: Measured }> {
  return measureInTurns(
    new Side(baseline, `http://127.0.0.1:${baseline.port}/health`, options),
    new Side(keel, `http://127.0.0.1:${keel.port}${urlPath}`, options),
    options.durationSeconds,
  );
}

/**
 * Every side warmed up (not counted), then SLICES turns each, the order reversed every other turn
 * (ABC CBA ABC…), so that a machine whose speed drifts moves all alike.
 */
export async function measureRotation(sides: readonly Side[], durationSeconds: number): Promise<Measured[]> {
  for (const side of sides) await side.warmUp();
  const sliceSeconds = durationSeconds / SLICES;
  for (let slice = 0; slice < SLICES; slice += 1) {
    for (const side of slice % 2 === 0 ? sides : [...sides].reverse()) await side.slice(sliceSeconds);
  }
  return sides.map((side) => side.result());
}

/** Both warmed up (not counted), then SLICES turns each, in ABBA order. */
export async function measureInTurns(
  baselineSide: Side,
  keelSide: Side,
  durationSeconds: number,
): Promise<{ baseline: Measured; keel: Measured }> {
  await keelSide.warmUp();
  await baselineSide.warmUp();
  const sliceSeconds = durationSeconds / SLICES;
  for (let slice = 0; slice < SLICES; slice += 1) {
    const turn = slice % 2 === 0 ? [baselineSide, keelSide] : [keelSide, baselineSide];
    for (const side of turn) await side.slice(sliceSeconds);
  }
  return { baseline: baselineSide.result(), keel: keelSide.result() };
}

function describeAnswer(answer: Answer): string {
  return `${answer.status} ${answer.headers['content-type'] ?? ''} cache-control=${answer.headers['cache-control'] ?? ''} ${answer.body.slice(0, 160)}`;
}

export interface ThroughputResult {
  readonly runs: EndpointRun[];
  /** The first answer of each server, to show that the baseline and keel serve the same thing. */
  readonly samples: Record<string, string>;
}

export async function runThroughput(database: BenchDatabase, options: ThroughputOptions): Promise<ThroughputResult> {
  const runs: EndpointRun[] = [];
  const samples: Record<string, string> = {};
  const baseline = await startBaseline();
  try {
    samples['baseline /health'] = describeAnswer(await get(baseline.port, '/health'));
    for (const keelRun of KEEL_RUNS) runs.push(...(await measureKeel(database, baseline, keelRun, options, samples)));
  } finally {
    await baseline.stop(options.shutdownGraceMs);
  }
  return { runs, samples };
}

/**
 * A fresh keel server per endpoint, so the database's counters cover exactly one server: read
 * before it starts, and after it has stopped and its backends have gone (a backend flushes its
 * statistics when it exits; an idle one may hold them for up to 10 s on PostgreSQL 15+). The
 * baseline, one server for the whole bench, is measured in turns with it: both runs are returned.
 */
async function measureKeel(
  database: BenchDatabase,
  baseline: ServerProcess,
  { endpoint, label, env }: KeelRun,
  options: ThroughputOptions,
  samples: Record<string, string>,
): Promise<EndpointRun[]> {
  const before = await database.stats();
  const server = await startKeel(database.url, { ...env });
  let measured: { baseline: Measured; keel: Measured } | undefined;
  let notServed: string | undefined;
  let responses = 0;
  try {
    const first = await get(server.port, endpoint);
    responses += 1;
    samples[label] = describeAnswer(first);
    if (first.status === 404) {
      notServed = 'not served (404): this build has no such route';
      options.log(`${label}: ${notServed}`);
    } else {
      options.log(
        `${label} and the baseline: ${options.warmupSeconds} s warm-up each, then ${SLICES} turns of ${options.durationSeconds / SLICES} s each`,
      );
      measured = await measurePair(baseline, server, endpoint, options);
      responses += measured.keel.responses;
    }
  } finally {
    const exit = await server.stop(options.shutdownGraceMs);
    if (exit.code !== 0) options.log(`${label}: the server exited with ${exit.code ?? exit.signal} after SIGTERM`);
  }
  if (!(await database.waitForNoBackends(10_000))) options.log(`${label}: backends still connected 10 s after the server exited`);
  const after = await database.stats();
  if (notServed || !measured) return [{ label, role: 'keel', path: endpoint, notServed }];

  const transactions = after.transactions - before.transactions;
  const sessions = after.sessions === undefined || before.sessions === undefined ? undefined : after.sessions - before.sessions;
  const { keel, baseline: beside } = measured;
  return [
    {
      label: `baseline /health (beside ${label})`,
      role: 'baseline',
      path: '/health',
      pairedWith: label,
      load: beside.load,
      turnRates: beside.turnRates,
      serverCpuMicrosPerRequest: beside.serverCpuMicrosPerRequest,
      serverCpuShare: beside.serverCpuShare,
    },
    {
      label,
      role: 'keel',
      path: endpoint,
      load: keel.load,
      turnRates: keel.turnRates,
      serverCpuMicrosPerRequest: keel.serverCpuMicrosPerRequest,
      serverCpuShare: keel.serverCpuShare,
      sql: {
        transactions,
        sessions,
        requests: responses,
        loadMs: keel.loadMs,
        probeStatements: sessions === undefined ? undefined : transactions - connectionStatements(sessions),
        // Plus one for the ping bin/www makes at boot.
        windows: keel.windows + 1,
      },
    },
  ];
}

// The default mode: the baseline and keel's health endpoints under the same load, one after the
// other, each on a warm server, with server CPU time and the database's statement count.
import crypto from 'node:crypto';
import type { BenchDatabase } from './database';
import { get, startBaseline, startKeel, type Answer } from './keel';
import { runLoad, type LoadResult } from './load';
import type { EndpointRun } from './report';
import { processCpuMicros, type ServerProcess } from './server-process';

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

interface Measured {
  readonly load: LoadResult;
  readonly serverCpuMicrosPerRequest: number;
  readonly serverCpuShare: number;
  /** Every response the server gave: the check, the warm-up and the measured run. */
  readonly responses: number;
  readonly loadMs: number;
}

/**
 * What opening connections costs, apart from the probe: per session PostgreSQL's startup
 * transaction and keel's session-setup statement; once per process (its first connection)
 * Sequelize's lookup of type OIDs in pg_type.
 */
export function connectionStatements(sessions: number): number {
  return sessions ? 2 * sessions + 1 : 0;
}

/** Warm-up (not counted), then the measured run with the server's CPU time read around it. */
async function measure(server: ServerProcess, urlPath: string, options: ThroughputOptions): Promise<Measured> {
  const url = `http://127.0.0.1:${server.port}${urlPath}`;
  const started = performance.now();
  const warmup = await runLoad({ url, connections: options.connections, durationSeconds: options.warmupSeconds });
  const cpuBefore = processCpuMicros(server.pid);
  const wallBefore = performance.now();
  const load = await runLoad({ url, connections: options.connections, durationSeconds: options.durationSeconds });
  const wallMs = performance.now() - wallBefore;
  const cpuMicros = processCpuMicros(server.pid) - cpuBefore;
  return {
    load,
    serverCpuMicrosPerRequest: load.responses ? cpuMicros / load.responses : Number.NaN,
    serverCpuShare: cpuMicros / 1000 / wallMs,
    responses: warmup.responses + load.responses,
    loadMs: performance.now() - started,
  };
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
    const measureBaseline = async (run: number): Promise<void> => {
      options.log(`baseline /health (run ${run}): ${options.warmupSeconds} s warm-up, ${options.durationSeconds} s measured`);
      const measured = await measure(baseline, '/health', options);
      runs.push({ label: `baseline /health (run ${run})`, role: 'baseline', path: '/health', ...measured });
    };

    // Alternately, so each keel endpoint is compared with the baseline measured just before and
    // just after it: a machine whose speed drifts during the run (other work, thermal) moves both.
    let baselineRuns = 0;
    await measureBaseline((baselineRuns += 1));
    for (const keelRun of KEEL_RUNS) {
      const run = await measureKeel(database, keelRun, options, samples);
      runs.push(run);
      if (run.load) await measureBaseline((baselineRuns += 1));
    }
  } finally {
    await baseline.stop(options.shutdownGraceMs);
  }
  return { runs, samples };
}

/**
 * A fresh keel server per endpoint, so the database's counters cover exactly one server: read
 * before it starts, and after it has stopped and its backends have gone (a backend flushes its
 * statistics when it exits; an idle one may hold them for up to 10 s on PostgreSQL 15+).
 */
async function measureKeel(
  database: BenchDatabase,
  { endpoint, label, env }: KeelRun,
  options: ThroughputOptions,
  samples: Record<string, string>,
): Promise<EndpointRun> {
  const before = await database.stats();
  const server = await startKeel(database.url, { ...env });
  let measured: Measured | undefined;
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
      options.log(`${label}: ${options.warmupSeconds} s warm-up, ${options.durationSeconds} s measured`);
      measured = await measure(server, endpoint, options);
      responses += measured.responses;
    }
  } finally {
    const exit = await server.stop(options.shutdownGraceMs);
    if (exit.code !== 0) options.log(`${label}: the server exited with ${exit.code ?? exit.signal} after SIGTERM`);
  }
  if (!(await database.waitForNoBackends(10_000))) options.log(`${label}: backends still connected 10 s after the server exited`);
  const after = await database.stats();
  if (notServed || !measured) return { label, role: 'keel', path: endpoint, notServed };

  const transactions = after.transactions - before.transactions;
  const sessions = after.sessions === undefined || before.sessions === undefined ? undefined : after.sessions - before.sessions;
  return {
    label,
    role: 'keel',
    path: endpoint,
    load: measured.load,
    serverCpuMicrosPerRequest: measured.serverCpuMicrosPerRequest,
    serverCpuShare: measured.serverCpuShare,
    sql: {
      transactions,
      sessions,
      requests: responses,
      loadMs: measured.loadMs,
      probeStatements: sessions === undefined ? undefined : transactions - connectionStatements(sessions),
      windows: Math.ceil(measured.loadMs / options.probeWindowMs) + 1,
    },
  };
}

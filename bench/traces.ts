// The traces mode: what tracing costs on a read by id. Three keel processes serve GET /widgets/:id of a
// generated resource (bench/resource-copy.ts): this commit with tracing on at the default sampling (10%
// parent-based, exporting to a receiver on 127.0.0.1), the same build with tracing off, and a build of a
// commit without tracing (where this branch left main, by default). Measured in turns, two pairs: on against off, and off
// against the build without tracing (off must be free).
import crypto from 'node:crypto';
import { startOtlpReceiver, type OtlpReceiver } from '../test/support/otlp-receiver';
import type { BenchIdentity } from './identity';
import { describe, send, startKeel, stopAll, type ServerProcess } from './keel';
import { keelSetting } from './settings';
import { measureInTurns, Side, type Measured } from './throughput';

export interface TracesOptions {
  /** OTEL_TRACES_SAMPLER of the traced process; keel's default when undefined. */
  readonly sampler: string | undefined;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly shutdownGraceMs: number;
  readonly log: (line: string) => void;
}

export interface TracesResult {
  readonly traced: Measured;
  /** Tracing off, measured against the traced build. */
  readonly off: Measured;
  /** Tracing off again, measured against the build without tracing. */
  readonly offAgain: Measured;
  readonly without: Measured;
  /** Export requests the receiver got, and their bytes. */
  readonly exports: number;
  readonly exportedBytes: number;
  /** keel_trace_spans_dropped_total of the traced process at the end. */
  readonly dropped: number;
  readonly samples: Record<string, string>;
}

// /metrics needs a token in production mode: all three get one, so all three serve it alike.
const METRICS_TOKEN = crypto.randomBytes(24).toString('hex');

async function readDropped(server: ServerProcess): Promise<number> {
  const answer = await send(server.port, 'GET', '/metrics', undefined, { Authorization: `Bearer ${METRICS_TOKEN}` });
  return Number(/^keel_trace_spans_dropped_total (\d+)$/m.exec(answer.body)?.[1] ?? Number.NaN);
}

/** One widget to read, created through a keel that verifies the bench's token (the unit of work needs its tenant). */
async function createWidget(databaseUrl: string, root: string, identity: BenchIdentity, graceMs: number): Promise<string> {
  const writer = await startKeel(databaseUrl, identity.keelEnv, root);
  try {
    const body = JSON.stringify({ name: `traces-${crypto.randomUUID()}`, size: 3, note: 'bench' });
    const answer = await send(writer.port, 'POST', '/widgets', body, identity.headers);
    if (answer.status !== 201) throw new Error(`keel did not create a widget: ${describe(answer.status, answer.body)}`);
    return (JSON.parse(answer.body) as { id: string }).id;
  } finally {
    await stopAll([writer], graceMs);
  }
}

export async function runTraces(
  databaseUrl: string,
  roots: { readonly current: string; readonly without: string },
  identity: BenchIdentity,
  options: TracesOptions,
): Promise<TracesResult> {
  const id = await createWidget(databaseUrl, roots.current, identity, options.shutdownGraceMs);
  const urlPath = `/widgets/${id}`;
  const samples: Record<string, string> = {};
  let receiver: OtlpReceiver | undefined;
  let traced: ServerProcess | undefined;
  let off: ServerProcess | undefined;
  let without: ServerProcess | undefined;
  try {
    receiver = await startOtlpReceiver();
    const sampler: Record<string, string> = options.sampler ? { OTEL_TRACES_SAMPLER: options.sampler } : {};
    traced = await startKeel(databaseUrl, { METRICS_TOKEN, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...sampler }, roots.current);
    off = await startKeel(databaseUrl, { METRICS_TOKEN }, roots.current);
    without = await startKeel(databaseUrl, { METRICS_TOKEN }, roots.without);
    for (const [name, server] of [
      ['tracing on', traced],
      ['tracing off', off],
      ['without tracing', without],
    ] as const) {
      const answer = await send(server.port, 'GET', urlPath);
      samples[`keel (${name})`] = describe(answer.status, answer.body);
      if (answer.status !== 200) throw new Error(`keel (${name}) answered ${samples[`keel (${name})`]}`);
    }
    const sideOptions = { ...options, probeWindowMs: keelSetting('DB_PROBE_CACHE_MS') };
    const side = (server: ServerProcess): Side => new Side(server, `http://127.0.0.1:${server.port}${urlPath}`, sideOptions);
    options.log(`GET /widgets/:id, tracing on against off: ${options.warmupSeconds} s warm-up each, then in turns`);
    const onAgainstOff = await measureInTurns(side(off), side(traced), options.durationSeconds);
    options.log(`GET /widgets/:id, tracing off against the build without tracing: in turns`);
    const offAgainstWithout = await measureInTurns(side(without), side(off), options.durationSeconds);
    const dropped = await readDropped(traced);
    return {
      traced: onAgainstOff.keel,
      off: onAgainstOff.baseline,
      offAgain: offAgainstWithout.keel,
      without: offAgainstWithout.baseline,
      exports: receiver.requests.length,
      exportedBytes: receiver.requests.reduce((sum, request) => sum + request.body.length, 0),
      dropped,
      samples,
    };
  } finally {
    await stopAll([traced, off, without], options.shutdownGraceMs);
    await receiver?.close();
  }
}

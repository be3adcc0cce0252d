import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../config/project';
import { startCluster, waitFor } from '../support/cluster';
import { testDatabaseUrl } from '../support/database';
import { httpRequest } from '../support/http';
import { logEntries, startProductionServer, type ServerProcess } from '../support/process';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver';
import { registerSentinel } from '../support/sentinels';

const PRELOAD = path.join(projectRoot(), 'dist', 'test', 'support', 'loaded-modules.js');
const METRICS_TOKEN = 'tracing-metrics-token-0123456789';
registerSentinel(METRICS_TOKEN, 'METRICS_TOKEN');
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Tracing at full sampling, exported as JSON quickly, to the suite's receiver. */
const tracingEnv = (receiver: OtlpReceiver): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_TRACES_SAMPLER: 'always_on',
  OTEL_BSP_SCHEDULE_DELAY: '50',
});

/** The OpenTelemetry packages the preloaded test/support/loaded-modules.js found loaded as the process exited. */
function openTelemetryPackagesAtExit(server: ServerProcess): string[] {
  const line = logEntries(server).find((entry) => entry.message === 'loaded modules');
  if (!line) throw new Error('the process wrote no "loaded modules" line as it exited');
  return line.opentelemetry as string[];
}

/**
 * The OpenTelemetry packages a process that loads prom-client alone has loaded: prom-client 15 requires
 * @opentelemetry/api itself (its process CPU counters can take exemplars from it), a no-op without an SDK.
 * Tracing off, keel may load nothing of OpenTelemetry beyond that.
 */
function loadedByPromClient(): string[] {
  const script = `require('prom-client'); require(${JSON.stringify(PRELOAD)});`;
  const output = execFileSync(process.execPath, ['-e', script], { cwd: projectRoot(), encoding: 'utf8' });
  return (JSON.parse(output) as { opentelemetry: string[] }).opentelemetry;
}

describe('bin/www with traces', function () {
  this.timeout(60_000);
  let receiver: OtlpReceiver;
  let server: ServerProcess | undefined;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await server?.kill();
    server = undefined;
    await receiver.close();
  });

  it('loads no OpenTelemetry module beyond what prom-client loads alone, and sends no span, when OTEL_SDK_DISABLED=true though an endpoint is set', async () => {
    const started = await startProductionServer({
      DATABASE_URL: testDatabaseUrl(),
      AUTH: 'off',
      NODE_OPTIONS: `--require=${PRELOAD}`,
      ...tracingEnv(receiver),
      OTEL_SDK_DISABLED: 'true',
    });
    server = started;
    expect((await httpRequest(started.port, '/openapi.json', 'GET', 10_000, { traceparent: TRACEPARENT })).status).to.equal(200);
    expect((await httpRequest(started.port, '/health/db')).status).to.equal(200);
    const exit = await started.stop(10_000);

    expect(exit.code).to.equal(0);
    expect(openTelemetryPackagesAtExit(started)).to.deep.equal(loadedByPromClient());
    expect(receiver.requests).to.have.length(0);
    expect(logEntries(started).find((entry) => entry.message === 'request')).to.not.have.property('trace_id');
  });

  it('exports the server span in the caller’s trace and flushes it on SIGTERM, with OpenTelemetry loaded (the check above can fail)', async () => {
    const started = await startProductionServer({
      DATABASE_URL: testDatabaseUrl(),
      AUTH: 'off',
      NODE_OPTIONS: `--require=${PRELOAD}`,
      ...tracingEnv(receiver),
      // Nothing exported before SIGTERM: the flush on shutdown is what sends the span.
      OTEL_BSP_SCHEDULE_DELAY: '60000',
    });
    server = started;
    expect((await httpRequest(started.port, '/openapi.json', 'GET', 10_000, { traceparent: TRACEPARENT })).status).to.equal(200);
    const exit = await started.stop(10_000);

    expect(exit.code).to.equal(0);
    expect(openTelemetryPackagesAtExit(started)).to.include.members([
      '@opentelemetry/sdk-trace',
      '@opentelemetry/exporter-trace-otlp-http',
    ]);
    const span = await receiver.waitForSpan((candidate) => candidate.name === 'GET /openapi.json', 'GET /openapi.json', 1_000);
    expect(span.traceId).to.equal('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span.parentSpanId).to.equal('00f067aa0ba902b7');
    const access = logEntries(started).find((entry) => entry.message === 'request');
    expect(access).to.include({ trace_id: span.traceId, span_id: span.spanId });
  });

  it('sends protobuf by default (OTEL_EXPORTER_OTLP_PROTOCOL unset)', async () => {
    const protobuf: Record<string, string> = { ...tracingEnv(receiver) };
    delete protobuf.OTEL_EXPORTER_OTLP_PROTOCOL;
    server = await startProductionServer({ DATABASE_URL: testDatabaseUrl(), AUTH: 'off', ...protobuf });
    expect((await httpRequest((server as ServerProcess & { port: number }).port, '/openapi.json')).status).to.equal(200);
    const request = await waitFor(() => receiver.requests[0], 15_000, 'an export request');

    expect(request.contentType).to.equal('application/x-protobuf');
    // Protobuf keeps strings as UTF-8 bytes: the span's name is in the payload.
    expect(request.body.includes(Buffer.from('GET /openapi.json'))).to.equal(true);
  });

  it('exports from both cluster workers with WEB_CONCURRENCY=2', async () => {
    const cluster = await startCluster(2, { DATABASE_URL: testDatabaseUrl(), ...tracingEnv(receiver) });
    server = cluster.server;
    const exporters = new Set<number>();
    // Each request on a new connection: the primary hands connections to the workers in turn.
    for (let attempt = 0; attempt < 40 && exporters.size < 2; attempt++) {
      expect((await httpRequest(cluster.port, '/openapi.json')).status).to.equal(200);
      const span = await receiver
        .waitForSpan(
          (candidate) => candidate.name === 'GET /openapi.json' && !exporters.has(Number(candidate.resource['process.pid'])),
          'from a worker not seen yet',
          500,
        )
        .catch(() => undefined);
      if (span) exporters.add(Number(span.resource['process.pid']));
    }

    expect([...exporters].sort()).to.deep.equal([...cluster.pids].sort());
  });

  it('gives a cluster’s OpenMetrics scrape the trace of each worker’s latest request as an exemplar (WEB_CONCURRENCY=2)', async () => {
    const cluster = await startCluster(2, { DATABASE_URL: testDatabaseUrl(), METRICS_TOKEN, ...tracingEnv(receiver) });
    server = cluster.server;
    const found = new Map<number, boolean>();
    // Each request on a new connection, in a trace of its own, until both workers have served one; the scrape
    // right after it (through either worker) must carry that trace, whichever worker served it.
    for (let attempt = 0; attempt < 40 && found.size < 2; attempt++) {
      const traceId = randomBytes(16).toString('hex');
      const headers = { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
      expect((await httpRequest(cluster.port, '/openapi.json', 'GET', 10_000, headers)).status).to.equal(200);
      const span = await receiver.waitForSpan((candidate) => candidate.traceId === traceId, `the span of trace ${traceId}`);
      const scrape = await httpRequest(cluster.port, '/metrics', 'GET', 10_000, {
        Authorization: `Bearer ${METRICS_TOKEN}`,
        Accept: 'application/openmetrics-text; version=1.0.0',
      });
      expect(scrape.status).to.equal(200);
      const pid = Number(span.resource['process.pid']);
      // The primary hands connections to the workers in turn, and a scrape takes a turn too: one more request
      // moves the next traced one to the other worker.
      if (found.has(pid)) await httpRequest(cluster.port, '/health/live');
      found.set(pid, scrape.body.includes(`# {trace_id="${traceId}"}`));
    }

    expect([...found.keys()].sort()).to.deep.equal([...cluster.pids].sort());
    expect([...found.values()], 'each worker’s latest trace in the scrape').to.deep.equal([true, true]);
  });

  it('answers every request while the collector never answers, counts the spans it drops in /metrics, logs that once, and still exits 0 within the shutdown deadline', async () => {
    receiver.mode = 'hang';
    const token = 'a-metrics-token-for-this-test-only';
    const started = await startProductionServer({
      DATABASE_URL: testDatabaseUrl(),
      AUTH: 'off',
      METRICS_TOKEN: token,
      ...tracingEnv(receiver),
      OTEL_BSP_MAX_QUEUE_SIZE: '4',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2',
      OTEL_BSP_EXPORT_TIMEOUT: '500',
      SHUTDOWN_TIMEOUT_MS: '4000',
    });
    server = started;
    for (let i = 0; i < 20; i++) expect((await httpRequest(started.port, '/openapi.json')).status).to.equal(200);
    // At most four spans wait or are in flight: of twenty, at least sixteen are dropped, counted as the queue overflows.
    let count = 0;
    for (let attempt = 0; attempt < 100 && count < 16; attempt++) {
      const scrape = await httpRequest(started.port, '/metrics', 'GET', 10_000, { Authorization: `Bearer ${token}` });
      count = Number(/^keel_trace_spans_dropped_total (\d+)$/m.exec(scrape.body)?.[1]);
      if (count < 16) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(count).to.be.at.least(16);
    const exit = await started.stop(10_000);

    expect(exit.code).to.equal(0);
    expect(exit.afterMs).to.be.below(4_000);
    // Drops are logged at most once a minute, however many there were.
    expect(logEntries(started).filter((entry) => entry.message === 'trace spans dropped')).to.have.length(1);
  });
});

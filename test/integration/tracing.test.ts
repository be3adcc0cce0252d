import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { Router, type Express } from 'express';
import { escapeLiteral } from 'pg';
import { QueryTypes, type Sequelize } from 'sequelize';
import request from 'supertest';
import { logContextFields } from '../../bin/tracing';
import { createLogger } from '../../config/logger';
import { readPackageInfo } from '../../config/project';
import { createDatabase, type Database } from '../../lib/keel/db';
import { KEEL_ROUTES } from '../../lib/keel/endpoints';
import { createApp, NotFoundError, type RequestSettingsHook, type RouteEntry } from '../../lib/keel/http';
import { createMetrics } from '../../lib/keel/http/metrics';
import { startTracing, type Tracing } from '../../lib/keel/tracing';
import { servingLifecycle, testConfig } from '../support/app';
import { createScratchDatabase, type ScratchDatabase } from '../support/database';
import { captureLog, type LogCapture } from '../support/log-capture';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';

/** The unit of work's settings from headers, so that a test can set any: a real service's come from the verified caller. */
const headerSettings: RequestSettingsHook = (_caller, req) => ({ tenant_id: req.get('X-Tenant-Id'), user_id: req.get('X-User-Id') });
const SERVER = 2;

/** A fixed caller's trace: every test makes its own trace id, so no test sees another's spans. */
function traceparent(): { traceId: string; parentId: string; header: string } {
  const hex = (bytes: number): string => Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256))).toString('hex');
  const traceId = hex(16);
  const parentId = hex(8);
  return { traceId, parentId, header: `00-${traceId}-${parentId}-01` };
}

class WidgetMeltdownError extends Error {
  override name = 'WidgetMeltdownError';
}

/**
 * The suite's own routes on a table of its own (not a product's resource, which changes with the product):
 * a write in a unit of work, a read that finds nothing, a call to another service, a failure, and work
 * that outlasts the deadline.
 */
function probeRoutes(downstream: () => string, sequelize: () => Sequelize): RouteEntry {
  return {
    path: '/probe',
    operations: [],
    access: 'public',
    router: ({ unitOfWork }) => {
      const router = Router();
      router.patch('/widgets/:id', async (req, res) => {
        const id = String(req.params.id);
        const name = String((req.body as { name?: unknown }).name);
        await unitOfWork(req, async () => {
          // A statement with a value written into it (as Sequelize's model reads do), then one that binds its values.
          await sequelize().query(`SELECT "name" FROM "traced_widgets" WHERE "id" = ${escapeLiteral(id)}`, { type: QueryTypes.SELECT });
          await sequelize().query('UPDATE "traced_widgets" SET "name" = $1 WHERE "id" = $2', { bind: [name, id] });
        });
        res.json({ id, name });
      });
      router.get('/widgets/:id', () => {
        throw new NotFoundError();
      });
      router.get('/relay', async (_req, res) => {
        const answer = await fetch(downstream());
        res.json({ status: answer.status });
      });
      router.get('/boom', () => {
        throw new WidgetMeltdownError('the secret-sauce-42 is gone');
      });
      router.get('/slow', async (req, res) => {
        await unitOfWork(req, async () => {
          // Each sleep under the statement timeout; both together past the request deadline.
          for (let i = 0; i < 3; i++) await sequelize().query('SELECT pg_sleep($1)', { bind: [0.6], type: QueryTypes.SELECT });
        });
        res.json({ slept: true });
      });
      return router;
    },
  };
}

describe('traces (OpenTelemetry) of the request, its unit of work and its statements', function () {
  this.timeout(30_000);
  let receiver: OtlpReceiver;
  let scratch: ScratchDatabase;
  let database: Database;
  let tracing: Tracing;
  let app: Express;
  let log: LogCapture;
  let downstream: http.Server;
  const downstreamHeaders: http.IncomingHttpHeaders[] = [];

  before(async () => {
    receiver = await startOtlpReceiver();
    downstream = http.createServer((req, res) => {
      downstreamHeaders.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
    scratch = await createScratchDatabase();
    const config = testConfig({
      DATABASE_URL: scratch.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_BSP_EXPORT_TIMEOUT: '1000',
      REQUEST_DEADLINE_MS: '1500',
      DB_STATEMENT_TIMEOUT_MS: '1200',
      DB_POOL_ACQUIRE_MS: '1000',
      DB_CONNECT_TIMEOUT_MS: '900',
    });
    log = captureLog();
    const logger = createLogger(
      { env: 'production', logLevel: 'silly' },
      log.stream,
      logContextFields(config, () => tracing),
    );
    tracing = startTracing(config.tracing, logger);
    database = createDatabase({ ...config.database, url: scratch.url }, logger, { tracer: tracing.database });
    await database.sequelize.query('CREATE TABLE "traced_widgets" ("id" uuid PRIMARY KEY, "name" text NOT NULL)');
    const metrics = createMetrics(
      {
        pools: () => [{ pool: 'primary', stats: database.poolStats() }],
        probes: () => [{ pool: 'primary', result: database.probe.latest() }],
        droppedSpans: tracing.droppedSpans,
      },
      { exemplars: true },
    );
    const port = (): number => (downstream.address() as AddressInfo).port;
    app = createApp({
      config,
      logger,
      database,
      lifecycle: servingLifecycle(),
      version: readPackageInfo().version,
      routes: [
        ...KEEL_ROUTES,
        probeRoutes(
          () => `http://127.0.0.1:${port()}/next`,
          () => database.sequelize,
        ),
      ],
      requestSettings: headerSettings,
      metrics,
      tracing: tracing.request,
    });
  });

  after(async () => {
    await tracing?.shutdown(2_000);
    await database?.close();
    await scratch?.drop();
    await receiver?.close();
    downstream?.close();
  });

  const inTrace = (traceId: string) => (span: ReceivedSpan) => span.traceId === traceId;

  it('puts a PATCH in the caller’s trace: its server span named by the route, the unit of work under it, each statement under that, text without values', async () => {
    const tenant = randomUUID();
    const id = randomUUID();
    await database.sequelize.query(`INSERT INTO "traced_widgets" VALUES ('${id}', 'sprocket')`);
    const caller = traceparent();

    await request(app)
      .patch(`/probe/widgets/${id}`)
      .set({ traceparent: caller.header, 'X-Tenant-Id': tenant, 'X-User-Id': 'user-9' })
      .send({ name: 'cog-secret-name' })
      .expect(200);

    const server = await receiver.waitForSpan((span) => inTrace(caller.traceId)(span) && span.kind === SERVER, 'server span');
    expect(server.name).to.equal('PATCH /probe/widgets/{id}');
    expect(server.parentSpanId).to.equal(caller.parentId);
    expect(server.attributes).to.include({
      'http.request.method': 'PATCH',
      'http.route': '/probe/widgets/:id',
      'http.response.status_code': 200,
    });
    expect(server.attributes['keel.request_id']).to.be.a('string');
    expect(server.statusCode).to.equal(0);

    const unit = await receiver.waitForSpan((span) => span.parentSpanId === server.spanId && span.name === 'unit of work', 'unit of work');
    expect(unit.attributes['keel.unit_of_work.outcome']).to.equal('commit');
    await receiver.waitForSpan((span) => span.parentSpanId === unit.spanId && span.name === 'COMMIT', 'COMMIT');
    const statements = receiver.spans.filter((span) => span.parentSpanId === unit.spanId);
    const update = statements.find((span) => span.name === 'UPDATE');
    expect(update?.attributes['db.query.text']).to.equal('UPDATE "traced_widgets" SET "name" = $1 WHERE "id" = $2');
    // Begin carries the settings as literals, the read inlines the id: recorded, without their text.
    expect(statements.find((span) => span.name === 'START')?.attributes).to.not.have.property('db.query.text');
    expect(statements.find((span) => span.name === 'SELECT')?.attributes).to.not.have.property('db.query.text');
    for (const span of [server, unit, ...statements]) {
      const text = JSON.stringify(span);
      for (const value of [id, 'cog-secret-name', tenant, 'user-9']) expect(text, span.name).to.not.include(value);
    }

    const lines = (await log.entries()).filter((entry) => entry.trace_id === caller.traceId);
    expect(lines.find((entry) => entry.message === 'request')).to.include({
      span_id: server.spanId,
      requestId: server.attributes['keel.request_id'],
    });
    const statementLine = lines.find((entry) => entry.message === 'query');
    expect(statementLine, 'a query line written inside the request').to.not.equal(undefined);
    expect(statements.map((span) => span.spanId)).to.include(statementLine?.span_id);
  });

  it('carries the trace on to a service the request calls with fetch (traceparent, tracestate)', async () => {
    const caller = traceparent();

    await request(app).get('/probe/relay').set({ traceparent: caller.header, tracestate: 'vendor=opaque' }).expect(200);

    const server = await receiver.waitForSpan((span) => inTrace(caller.traceId)(span) && span.kind === SERVER, 'server span');
    const sent = downstreamHeaders.find((headers) => String(headers.traceparent).includes(caller.traceId));
    expect(sent?.traceparent).to.equal(`00-${caller.traceId}-${server.spanId}-01`);
    expect(sent?.tracestate).to.equal('vendor=opaque');
  });

  it('marks a 5xx as an error with the exception’s type and not its message, and leaves a 4xx unset', async () => {
    const failing = traceparent();
    const missing = traceparent();

    await request(app).get('/probe/boom').set({ traceparent: failing.header }).expect(500);
    await request(app).get(`/probe/widgets/${randomUUID()}`).set({ traceparent: missing.header }).expect(404);

    const failed = await receiver.waitForSpan((span) => inTrace(failing.traceId)(span) && span.kind === SERVER, 'the 500');
    expect(failed.statusCode).to.equal(2);
    expect(failed.attributes['error.type']).to.equal('WidgetMeltdownError');
    expect(failed.events).to.deep.include({ name: 'exception', attributes: { 'exception.type': 'WidgetMeltdownError' } });
    expect(JSON.stringify(failed)).to.not.include('secret-sauce');
    const notFound = await receiver.waitForSpan((span) => inTrace(missing.traceId)(span) && span.kind === SERVER, 'the 404');
    expect(notFound.name).to.equal('GET /probe/widgets/{id}');
    expect(notFound.statusCode).to.equal(0);
  });

  it('records the request deadline on the unit of work it rolled back', async () => {
    const caller = traceparent();

    await request(app).get('/probe/slow').set({ traceparent: caller.header }).expect(503);

    const unit = await receiver.waitForSpan((span) => inTrace(caller.traceId)(span) && span.name === 'unit of work', 'unit of work');
    expect(unit.attributes).to.include({ 'keel.unit_of_work.outcome': 'rollback', 'keel.unit_of_work.aborted_by': 'deadline' });
    expect(unit.events.map((event) => event.name)).to.include('deadline');
    expect(unit.statusCode).to.equal(2);
  });

  it('traces neither health nor /metrics, nor the probe statements they run', async () => {
    const pings = [traceparent(), traceparent(), traceparent()];
    await request(app).get('/health').set({ traceparent: pings[0]?.header }).expect(200);
    await request(app).get('/health/db').set({ traceparent: pings[1]?.header }).expect(200);
    await request(app).get('/metrics').set({ traceparent: pings[2]?.header }).expect(200);
    // Spans are exported in the order they end: once a later request's span is in, the pings' would be.
    const after = traceparent();
    await request(app).get('/openapi.json').set({ traceparent: after.header }).expect(200);
    await receiver.waitForSpan(inTrace(after.traceId), 'the request after the pings');

    for (const ping of pings) expect(receiver.spans.filter(inTrace(ping?.traceId ?? ''))).to.deep.equal([]);
    expect(receiver.spans.filter((span) => span.parentSpanId === '' && span.kind !== SERVER)).to.deep.equal([]);
  });

  it('gives the request-duration buckets the trace id as an exemplar when the scrape asks for OpenMetrics', async () => {
    const caller = traceparent();
    await request(app).get('/openapi.json').set({ traceparent: caller.header }).expect(200);

    const openMetrics = await request(app).get('/metrics').set('Accept', 'application/openmetrics-text; version=1.0.0').expect(200);
    const prometheus = await request(app).get('/metrics').expect(200);

    expect(openMetrics.headers['content-type']).to.match(/^application\/openmetrics-text/);
    expect(openMetrics.text).to.match(
      new RegExp(
        `^http_request_duration_seconds_bucket\\{[^}]*route="/openapi.json"[^}]*\\} \\d+ # \\{trace_id="${caller.traceId}"\\}`,
        'm',
      ),
    );
    expect(openMetrics.text).to.match(/^keel_trace_spans_dropped_total 0$/m);
    expect(prometheus.text).to.not.include('trace_id');
    expect(prometheus.text).to.match(/^keel_trace_spans_dropped_total 0$/m);
    expect(prometheus.text).to.match(/^process_cpu_seconds_total /m);
  });

  it('answers every request while the collector fails, and counts the spans it dropped in /metrics', async () => {
    receiver.mode = 'fail';
    try {
      for (let i = 0; i < 10; i++) await request(app).get('/openapi.json').expect(200);
      // The exports fail in the background: poll the counter until it holds all ten (or time runs out).
      let count = 0;
      const deadline = Date.now() + 15_000;
      while (count < 10 && Date.now() < deadline) {
        const scrape = await request(app).get('/metrics').expect(200);
        count = Number(/^keel_trace_spans_dropped_total (\d+)$/m.exec(scrape.text)?.[1]);
        if (count < 10) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(count).to.be.at.least(10);
      const dropLines = (await log.entries()).filter((entry) => entry.message === 'trace spans dropped');
      expect(dropLines).to.have.length(1);
      expect(dropLines[0]).to.include({ reason: 'export_failed' });
    } finally {
      receiver.mode = 'ok';
    }
  });
});

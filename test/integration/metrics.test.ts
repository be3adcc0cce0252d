import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../lib/keel/http';
import { createMetrics, type Metrics } from '../../lib/keel/http/metrics';
import { readPackageInfo } from '../../config/project';
import type { Database } from '../../lib/keel/db';
import { contractChecked, servingLifecycle, silentLogger, testConfig, testDatabase, SERVICE } from '../support/app';
import { metricTypes, sample } from '../support/metrics';

const TOKEN = 'metrics-token-0123456789abcdef';

function metricsOf(database: Database): Metrics {
  return createMetrics({
    pools: () => [{ pool: 'primary', stats: database.poolStats() }],
    probes: () => [{ pool: 'primary', result: database.probe.latest() }],
    acquires: (listener) => database.onAcquire(listener),
  });
}

function appWith(
  database: Database,
  config: Record<string, string> = {},
  metrics: Metrics = metricsOf(database),
): ReturnType<typeof createApp> {
  return contractChecked(
    createApp({
      ...SERVICE,
      config: testConfig(config),
      logger: silentLogger(),
      database,
      lifecycle: servingLifecycle(),
      version: readPackageInfo().version,
      metrics,
    }),
  );
}

describe('GET /metrics', () => {
  let database: Database;
  beforeEach(() => {
    database = testDatabase({ DB_POOL_MAX: '4' });
  });
  afterEach(async () => {
    await database.close();
  });

  it('serves the Prometheus text format with request durations by method, route template and status', async () => {
    const app = appWith(database);
    await request(app).get('/health/db?token=should-not-appear');
    await request(app).get('/no/such/path/12345');
    await request(app).post('/health');

    const res = await request(app).get('/metrics');

    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/plain;.*version=0\.0\.4/);
    expect(sample(res.text, 'http_request_duration_seconds_count', { method: 'GET', route: '/health/db', status: '200' })).to.equal(1);
    expect(sample(res.text, 'http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).to.equal(1);
    expect(sample(res.text, 'http_request_duration_seconds_count', { method: 'POST', route: '/health', status: '405' })).to.equal(1);
    expect(res.text, 'raw URLs never become labels').not.to.include('should-not-appear');
    expect(res.text).not.to.include('12345');
  });

  it('reports the pool by state and the latest probe of the primary', async () => {
    const app = appWith(database);
    await request(app).get('/health/db');

    const res = await request(app).get('/metrics');

    expect(sample(res.text, 'keel_db_pool_connections', { pool: 'primary', state: 'max' })).to.equal(4);
    expect(sample(res.text, 'keel_db_pool_connections', { pool: 'primary', state: 'size' })).to.be.at.least(1);
    expect(sample(res.text, 'keel_db_probe_up', { pool: 'primary' })).to.equal(1);
    expect(sample(res.text, 'keel_db_probe_duration_seconds', { pool: 'primary' })).to.be.greaterThan(0);
  });

  it('counts problem responses by route template, status and problem code, and nothing for a success', async () => {
    const app = appWith(database);
    await request(app).get('/no/such/path');
    await request(app).post('/health');
    await request(app).get('/health');

    const res = await request(app).get('/metrics');

    expect(sample(res.text, 'keel_http_problems_total', { route: 'unmatched', status: '404', code: 'not_found' })).to.equal(1);
    expect(sample(res.text, 'keel_http_problems_total', { route: '/health', status: '405', code: 'method_not_allowed' })).to.equal(1);
    expect(sample(res.text, 'keel_http_problems_total', { route: '/health', status: '200' })).to.equal(undefined);
  });

  it('observes how long each connection checkout from the pool took', async () => {
    const app = appWith(database);
    await request(app).get('/health/db');

    const res = await request(app).get('/metrics');

    expect(sample(res.text, 'keel_db_pool_acquire_seconds_count', { pool: 'primary' })).to.be.at.least(1);
    expect(sample(res.text, 'keel_db_pool_acquire_seconds_bucket', { pool: 'primary', le: '+Inf' })).to.be.at.least(1);
  });

  it('reports each replica’s replay lag of its latest probe in seconds, labelled by host:port, and no sample while it is unknown', async () => {
    const replication = (replayLagMs: number | null) => ({ status: 'pass', responseTimeMs: 2, replication: { replayLagMs } });
    const streaming = createMetrics({
      pools: () => [],
      probes: () => [
        { pool: 'primary', result: undefined },
        { pool: 'replica', replica: '10.0.0.1:5432', result: replication(1500) },
        { pool: 'replica', replica: '10.0.0.2:5432', result: replication(0) },
      ],
    });
    const unknown = createMetrics({
      pools: () => [],
      probes: () => [{ pool: 'replica', replica: '10.0.0.1:5432', result: replication(null) }],
    });

    const [known, missing] = await Promise.all([streaming.scrape(), unknown.scrape()]);

    expect(sample(known, 'keel_db_replica_lag_seconds', { pool: 'replica', replica: '10.0.0.1:5432' })).to.equal(1.5);
    expect(sample(known, 'keel_db_replica_lag_seconds', { pool: 'replica', replica: '10.0.0.2:5432' })).to.equal(0);
    expect(sample(missing, 'keel_db_replica_lag_seconds', { pool: 'replica', replica: '10.0.0.1:5432' })).to.equal(undefined);
  });

  it('labels Node process metrics with the worker it is given, and only those', async () => {
    const metrics = createMetrics({ pools: () => [{ pool: 'primary', stats: database.poolStats() }], probes: () => [], worker: '3' });
    metrics.observeRequest({ method: 'GET', route: '/health', status: 200 }, 0.01);

    const body = await metrics.scrape();

    expect(sample(body, 'process_resident_memory_bytes', { worker: '3' })).to.be.greaterThan(0);
    expect(sample(body, 'nodejs_heap_size_used_bytes', { worker: '3' })).to.be.greaterThan(0);
    expect(body).to.match(/^nodejs_eventloop_lag_p99_seconds\{worker="3"\} /m);
    expect(body, 'request and pool series stay summed across workers').not.to.match(/^(http_request|keel_)\S*worker=/m);
  });

  it('reports a failed probe as keel_db_probe_up 0', async () => {
    const unreachable = testDatabase({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x',
      DB_PROBE_TIMEOUT_MS: '500',
      DB_PROBE_WARN_MS: '100',
    });
    try {
      const app = appWith(unreachable);
      await request(app).get('/health/db');

      const res = await request(app).get('/metrics');

      expect(sample(res.text, 'keel_db_probe_up', { pool: 'primary' })).to.equal(0);
    } finally {
      await unreachable.close();
    }
  });

  it('includes event-loop lag and process metrics', async () => {
    const res = await request(appWith(database)).get('/metrics');

    expect(res.text).to.match(/^nodejs_eventloop_lag_seconds \d/m);
    expect(res.text).to.match(/^process_cpu_user_seconds_total \d/m);
    expect(res.text).to.match(/^process_resident_memory_bytes \d/m);
  });

  it('names no metric but a counter with the _total suffix (Prometheus keeps it for counters)', async () => {
    const res = await request(appWith(database)).get('/metrics');

    const misnamed = [...metricTypes(res.text)].filter(([name, type]) => name.endsWith('_total') && type !== 'counter');
    expect(misnamed).to.deep.equal([]);
    expect(metricTypes(res.text).get('process_cpu_seconds_total'), 'counters keep theirs').to.equal('counter');
  });

  describe('when METRICS_TOKEN is set', () => {
    it('answers 401 problem+json with WWW-Authenticate without the bearer token, and 200 with it', async () => {
      const app = appWith(database, { METRICS_TOKEN: TOKEN });

      const missing = await request(app).get('/metrics');
      const wrong = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}x`);
      const right = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);

      for (const res of [missing, wrong]) {
        expect(res.status).to.equal(401);
        expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
        expect(res.headers['www-authenticate']).to.match(/^Bearer/);
        expect(res.body.code).to.equal('unauthorized');
        expect(res.text).not.to.include(TOKEN);
      }
      expect(right.status).to.equal(200);
    });
  });

  describe('in production', () => {
    const production = { NODE_ENV: 'production', AUTH: 'off' };

    it('is off (404) without METRICS_TOKEN', async () => {
      const res = await request(appWith(database, production)).get('/metrics');

      expect(res.status).to.equal(404);
    });

    it('is served with METRICS_TOKEN and the bearer token', async () => {
      const res = await request(appWith(database, { ...production, METRICS_TOKEN: TOKEN }))
        .get('/metrics')
        .set('Authorization', `Bearer ${TOKEN}`);

      expect(res.status).to.equal(200);
    });
  });
});

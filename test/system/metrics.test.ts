import { expect } from 'chai';
import { startCluster } from '../support/cluster';
import { testDatabaseUrl } from '../support/database';
import { httpRequest } from '../support/http';
import type { ServerProcess } from '../support/process';
import { sample } from '../support/metrics';
import { registerSentinel } from '../support/sentinels';

const METRICS_TOKEN = 'cluster-metrics-token-0123456789';
registerSentinel(METRICS_TOKEN, 'METRICS_TOKEN');
const POOL_MAX = 7;
const REQUESTS = 24;
const SCRAPES = 6;

describe('GET /metrics with WEB_CONCURRENCY=2', function () {
  this.timeout(40_000);
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.kill();
    server = undefined;
  });

  it('reports the whole process tree in every scrape: the request counter counts every request, whichever worker answered', async () => {
    const cluster = await startCluster(2, { DATABASE_URL: testDatabaseUrl(), METRICS_TOKEN, DB_POOL_MAX: String(POOL_MAX) });
    server = cluster.server;
    // One connection per request: the primary deals connections to the workers in turn.
    for (let index = 0; index < REQUESTS; index += 1) expect((await httpRequest(cluster.port, '/health')).status).to.equal(200);

    const counts: (number | undefined)[] = [];
    const poolMax: (number | undefined)[] = [];
    for (let index = 0; index < SCRAPES; index += 1) {
      const res = await httpRequest(cluster.port, '/metrics', 'GET', 10_000, { Authorization: `Bearer ${METRICS_TOKEN}` });
      expect(res.status).to.equal(200);
      counts.push(sample(res.body, 'http_request_duration_seconds_count', { method: 'GET', route: '/health', status: '200' }));
      poolMax.push(sample(res.body, 'keel_db_pool_connections', { pool: 'primary', state: 'max' }));
    }

    expect(counts, 'every scrape counts all the requests').to.deep.equal(Array(SCRAPES).fill(REQUESTS));
    expect(poolMax, 'both workers’ pools in every scrape').to.deep.equal(Array(SCRAPES).fill(2 * POOL_MAX));
  });
});

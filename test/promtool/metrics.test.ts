// Run by `npm run test:promtool` (and .ci/run), not by `npm test`: it needs promtool, which
// `npm test` on a machine with only Node does not have. Here a missing promtool fails the run.
import { expect } from 'chai';
import { startCluster } from '../support/cluster';
import { testDatabaseUrl } from '../support/database';
import { httpRequest } from '../support/http';
import { startProductionServer, type ServerProcess } from '../support/process';
import { registerSentinel } from '../support/sentinels';
import { promtool } from './promtool';

const METRICS_TOKEN = 'promtool-metrics-token-0123456789';
registerSentinel(METRICS_TOKEN, 'METRICS_TOKEN');

const promtoolCheck = (body: string): { code: number | null; output: string } => promtool(['check', 'metrics'], body);

/** Traffic that fills every kind of series (a histogram per route and status, the probe gauges), then a scrape. */
async function scrapeAfterTraffic(port: number): Promise<string> {
  for (const path of ['/health', '/health/db', '/health/ready', '/no-such-route']) await httpRequest(port, path);
  const res = await httpRequest(port, '/metrics', 'GET', 10_000, { Authorization: `Bearer ${METRICS_TOKEN}` });
  expect(res.status).to.equal(200);
  return res.body;
}

describe('promtool check metrics', () => {
  it('flags a gauge named *_total (the checker itself works)', () => {
    const result = promtoolCheck('# HELP demo_things_total Things.\n# TYPE demo_things_total gauge\ndemo_things_total 1\n');

    expect(result.code).to.not.equal(0);
    expect(result.output).to.include('non-counter metrics should not have "_total" suffix');
  });

  describe('on GET /metrics of the real process', function () {
    this.timeout(40_000);
    let server: ServerProcess | undefined;
    afterEach(async () => {
      await server?.kill();
      server = undefined;
    });

    it('finds nothing to report with one process', async () => {
      const single = await startProductionServer({ DATABASE_URL: testDatabaseUrl(), AUTH: 'off', METRICS_TOKEN });
      server = single;

      const result = promtoolCheck(await scrapeAfterTraffic(single.port));

      expect(result).to.deep.equal({ code: 0, output: '' });
    });

    it('finds nothing to report in the aggregate of two workers', async () => {
      const cluster = await startCluster(2, { DATABASE_URL: testDatabaseUrl(), METRICS_TOKEN });
      server = cluster.server;

      const result = promtoolCheck(await scrapeAfterTraffic(cluster.port));

      expect(result).to.deep.equal({ code: 0, output: '' });
    });
  });
});

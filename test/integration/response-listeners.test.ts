import { once } from 'node:events';
import http from 'node:http';
import { expect } from 'chai';
import { createApp } from '../../lib/keel/http';
import { createMetrics } from '../../lib/keel/http/metrics';
import { createShutdown } from '../../bin/shutdown';
import { readPackageInfo } from '../../config/project';
import type { Database } from '../../lib/keel/db';
import { listenOnLoopback } from '../support/http';
import { servingLifecycle, silentLogger, testConfig, testDatabase, SERVICE } from '../support/app';

// Why this matters (lib/keel/http/response-closed.ts): a second listener for one event puts a response's
// listeners in an array V8 may allocate in the old generation, which keeps every request alive
// through minor GCs under load.
describe('listeners on each response, with every middleware, the metrics and the shutdown tracking on', () => {
  let database: Database;
  let server: http.Server;
  let port: number;
  const responses: http.ServerResponse[] = [];

  before(async () => {
    database = testDatabase();
    const lifecycle = servingLifecycle();
    const app = createApp({
      ...SERVICE,
      config: testConfig(),
      logger: silentLogger(),
      database,
      lifecycle,
      version: readPackageInfo().version,
      metrics: createMetrics({ pools: () => [{ pool: 'primary', stats: database.poolStats() }], probes: () => [] }),
    });
    server = http.createServer(app);
    createShutdown({
      server,
      lifecycle,
      logger: silentLogger(),
      timeoutMs: 1_000,
      drainDelayMs: 0,
      closeResources: async () => undefined,
      describeResources: () => ({}),
      exit: () => undefined,
    });
    server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => responses.push(res));
    port = await listenOnLoopback(server);
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await database.close();
  });

  const cases: ReadonlyArray<{ readonly name: string; readonly path: string; readonly init?: RequestInit; readonly status: number }> = [
    { name: 'a 200 that reads the database', path: '/health/db', status: 200 },
    { name: 'a 404', path: '/no/such/path', status: 404 },
    {
      name: 'a 400 for a malformed JSON body',
      path: '/health',
      status: 400,
      init: { method: 'POST', body: '{', headers: { 'Content-Type': 'application/json' } },
    },
  ];
  for (const { name, path, init, status } of cases) {
    it(`${name}: one 'close' listener (keel's hooks) and one 'finish' listener (Node's own)`, async () => {
      const before = responses.length;
      const answer = await fetch(`http://127.0.0.1:${port}${path}`, init);
      await answer.arrayBuffer();
      expect(answer.status).to.equal(status);

      const res = responses[before];
      if (!res) throw new Error('the server saw no request');
      if (!res.closed) await once(res, 'close');
      expect(res.listenerCount('close')).to.equal(1);
      expect(res.listenerCount('finish')).to.equal(1);
    });
  }
});

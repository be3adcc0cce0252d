import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { createScratchDatabase, freePort, testDatabaseUrl, type ScratchDatabase } from '../support/database';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { httpRequest, type HttpResult } from '../support/http';
import { logEntries, startProductionServer, type ServerProcess } from '../support/process';

const PROBE_TIMEOUT_MS = 1_000;

async function timed(request: Promise<HttpResult>): Promise<HttpResult & { elapsedMs: number }> {
  const started = performance.now();
  const result = await request;
  return { ...result, elapsedMs: performance.now() - started };
}

/** Polls path every 200 ms until it answers `status`; fails after timeoutMs with the last answer. */
async function pollUntilStatus(port: number, path: string, status: number, timeoutMs: number): Promise<HttpResult> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const answer = await httpRequest(port, path);
    if (answer.status === status) return answer;
    if (performance.now() > deadline) throw new Error(`${path} still answers ${answer.status} after ${timeoutMs} ms: ${answer.body}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('bin/www readiness', function () {
  this.timeout(20_000);
  const servers: ServerProcess[] = [];
  const proxies: FaultProxy[] = [];
  const scratches: ScratchDatabase[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.kill()));
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    await Promise.all(scratches.splice(0).map((scratch) => scratch.drop()));
  });

  async function start(env: Record<string, string>): Promise<ServerProcess & { port: number }> {
    const server = await startProductionServer({ AUTH: 'off', ...env });
    servers.push(server);
    return server;
  }

  describe('when SIGTERM arrives with a drain delay', () => {
    it('answers /health/ready 503 (draining) while /health stays 200, then exits 0', async () => {
      const server = await start({ DATABASE_URL: testDatabaseUrl(), SHUTDOWN_DRAIN_DELAY_MS: '1500' });
      const before = await httpRequest(server.port, '/health/ready');
      expect(before.status).to.equal(200);
      expect(JSON.parse(before.body)).to.include({ phase: 'serving' }).and.to.have.property('status').that.is.oneOf(['pass', 'warn']);

      server.child.kill('SIGTERM');
      await server.waitForOutput(/"message":"shutting down"/);
      // The listener stays open during the drain delay: both requests are accepted.
      const ready = await httpRequest(server.port, '/health/ready');
      const live = await httpRequest(server.port, '/health');
      const { code } = await server.exited;

      expect(ready.status).to.equal(503);
      expect(JSON.parse(ready.body)).to.include({ status: 'fail', phase: 'draining', reason: 'draining' });
      expect(live.status).to.equal(200);
      expect(JSON.parse(live.body)).to.include({ status: 'pass' });
      expect(code).to.equal(0);
    });
  });

  const outages = [
    { name: 'refuses connections', arrange: (proxy: FaultProxy) => proxy.refuse() },
    { name: 'accepts connections but never answers', arrange: (proxy: FaultProxy) => proxy.blackhole() },
  ];
  for (const outage of outages) {
    describe(`when the database ${outage.name} at boot and then comes back`, () => {
      it('boots, fails readiness within the probe timeout, then turns ready without a restart', async () => {
        const proxy = await startFaultProxy(testDatabaseUrl());
        proxies.push(proxy);
        await outage.arrange(proxy);

        // Connect bounds well above the probe's, so that only the probe's own bound can answer in time.
        const server = await start({
          DATABASE_URL: proxy.url,
          DB_PROBE_TIMEOUT_MS: String(PROBE_TIMEOUT_MS),
          DB_CONNECT_TIMEOUT_MS: '5000',
          DB_POOL_ACQUIRE_MS: '6000',
        });
        const live = await timed(httpRequest(server.port, '/health'));
        const database = await timed(httpRequest(server.port, '/health/db'));
        const ready = await timed(httpRequest(server.port, '/health/ready'));

        expect(live.status).to.equal(200);
        expect(live.elapsedMs).to.be.below(PROBE_TIMEOUT_MS);
        expect(database.status).to.equal(503);
        expect(JSON.parse(database.body)).to.include({ status: 'fail', code: 'database_unavailable' });
        expect(database.elapsedMs).to.be.below(PROBE_TIMEOUT_MS + 1_000);
        expect(ready.status).to.equal(503);
        expect(JSON.parse(ready.body)).to.include({ status: 'fail', reason: 'database_unavailable' });
        expect(ready.elapsedMs).to.be.below(PROBE_TIMEOUT_MS + 1_000);

        await proxy.pass();
        const back = await pollUntilStatus(server.port, '/health/ready', 200, 10_000);

        expect(JSON.parse(back.body)).to.include({ phase: 'serving' }).and.to.have.property('status').that.is.oneOf(['pass', 'warn']);
        expect(server.child.exitCode, 'the process is still the one that booted').to.equal(null);
        const listening = logEntries(server).filter((entry) => entry.message === 'listening');
        expect(listening).to.have.length(1);
        expect(listening[0]).to.include({ pid: server.child.pid });
      });
    });
  }

  describe('when nothing listens at the database port', () => {
    it('keeps running, answers /health 200 and /health/ready 503', async () => {
      const url = new URL(testDatabaseUrl());
      url.hostname = '127.0.0.1';
      url.port = String(await freePort());
      const server = await start({ DATABASE_URL: url.toString() });

      await server.waitForOutput(/"message":"database unreachable at boot: connection refused .*; readiness fails until it answers"/);
      const ready = await httpRequest(server.port, '/health/ready');
      const database = await httpRequest(server.port, '/health/db');
      const live = await httpRequest(server.port, '/health');

      expect(ready.status).to.equal(503);
      expect(JSON.parse(ready.body)).to.include({ status: 'fail', reason: 'database_unavailable' });
      expect(database.status).to.equal(503);
      expect(JSON.parse(database.body)).to.include({ status: 'fail', code: 'database_unavailable' });
      expect(live.status).to.equal(200);
      expect(server.child.exitCode).to.equal(null);
    });
  });

  describe('when many pings arrive at once', () => {
    /** Budgets that let a probe wait a second or two for a held-back database, nested as config/env.ts requires. */
    const PATIENT_PROBE_ENV = {
      DB_PROBE_CACHE_MS: '20000',
      DB_PROBE_TIMEOUT_MS: '8000',
      DB_CONNECT_TIMEOUT_MS: '5000',
      DB_POOL_ACQUIRE_MS: '6000',
      LOG_LEVEL: 'debug',
    };

    interface Run {
      readonly answers: HttpResult[];
      readonly code: number | null;
      /** Round trips keel made to the database during the run, counted on the wire by the proxy. */
      readonly roundTrips: number;
      /** New physical connections keel opened ('database connection opened' debug lines). */
      readonly connections: number;
    }

    /** Boots keel against the database behind proxy, pings it, stops it, and counts what it sent meanwhile. */
    async function runAndCount(proxy: FaultProxy, ping: (server: ServerProcess & { port: number }) => Promise<HttpResult[]>): Promise<Run> {
      proxy.resetWireCounts();
      const server = await start({ DATABASE_URL: proxy.url, ...PATIENT_PROBE_ENV });
      const answers = await ping(server);
      server.child.kill('SIGTERM');
      const { code } = await server.exited;
      const connections = logEntries(server).filter((entry) => entry.message === 'database connection opened').length;
      return { answers, code, roundTrips: proxy.wireCounts().roundTrips, connections };
    }

    it('answers them all from one database probe', async function () {
      this.timeout(30_000);
      const scratch = await createScratchDatabase();
      scratches.push(scratch);
      const proxy = await startFaultProxy(scratch.url);
      proxies.push(proxy);
      // What a process sends besides its probes (the session setup of each connection, Sequelize's
      // first-connection lookups, the migration state): measured on a run pinged once of each kind
      // after its warm-up probe finished, which is then its only probe (the result is reused for 20 s).
      const control = await runAndCount(proxy, async (server) => {
        await server.waitForOutput(/"message":"database reachable"/);
        return [await httpRequest(server.port, '/health/db'), await httpRequest(server.port, '/health/ready')];
      });

      // The burst: the database is held back (blackhole) from boot, so the warm-up probe is still in
      // flight while all hundred pings arrive; then the database answers.
      await proxy.blackhole();
      const burst = await runAndCount(proxy, async (server) => {
        const answers = Promise.all([
          ...Array.from({ length: 50 }, () => httpRequest(server.port, '/health/db')),
          ...Array.from({ length: 50 }, () => httpRequest(server.port, '/health/ready')),
        ]);
        // Liveness never waits for the database: once it answers a connection opened after the
        // hundred, keel has accepted theirs.
        await httpRequest(server.port, '/health');
        await proxy.pass();
        return answers;
      });

      for (const answer of [...control.answers, ...burst.answers]) expect(answer.status, answer.body).to.equal(200);
      expect([control.code, burst.code]).to.deep.equal([0, 0]);
      const uncached = burst.answers
        .map((answer) => JSON.parse(answer.body) as { cached?: boolean; database?: { cached: boolean } })
        .filter((body) => (body.database?.cached ?? body.cached) === false);
      // The boot warm-up probe produced the shared result: no ping should own a probe.
      expect(uncached).to.have.length.at.most(1);
      // Exactly what the control run sent: the same connections, the same one probe, although every
      // one of the hundred answers needed a probe result.
      const counts = { burst, control };
      expect(burst.connections, JSON.stringify(counts)).to.equal(control.connections);
      expect(burst.roundTrips, JSON.stringify(counts)).to.equal(control.roundTrips);
    });
  });
});

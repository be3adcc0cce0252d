import { expect } from 'chai';
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { createScratchDatabase, queryOnce, testDatabaseUrl, type ScratchDatabase } from '../support/database';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { httpRequest, type HttpResult } from '../support/http';
import { keelBackends, waitForKeelBackends } from '../support/pg-activity';
import { logEntries, startProductionServer, type ServerProcess } from '../support/process';
import { expectSecurityHeaders } from '../support/security-headers';

type Server = ServerProcess & { port: number };

const HEALTH_JSON = /^application\/health\+json/;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Timed extends HttpResult {
  readonly path: string;
  readonly startedAt: number;
  readonly elapsedMs: number;
}

async function timedRequest(port: number, path: string): Promise<Timed> {
  const startedAt = performance.now();
  const result = await httpRequest(port, path);
  return { ...result, path, startedAt, elapsedMs: performance.now() - startedAt };
}

/** Polls path every 50 ms until it answers `status`; resolves with how long that took, or fails after timeoutMs. */
async function msUntilStatus(port: number, path: string, status: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const answer = await httpRequest(port, path);
    if (answer.status === status) return performance.now() - started;
    if (performance.now() - started > timeoutMs)
      throw new Error(`${path} still answers ${answer.status} after ${timeoutMs} ms: ${answer.body}`);
    await sleep(50);
  }
}

interface PoolNumbers {
  readonly size: number;
  readonly using: number;
  readonly waiting: number;
}

/** The process is the one that booted: still running, one "listening" line, with its pid; nothing crashed. */
function expectSameProcess(server: Server): void {
  expect(server.child.exitCode, 'the process is still running').to.equal(null);
  const listening = logEntries(server).filter((entry) => entry.message === 'listening');
  expect(listening, '"listening" lines').to.have.length(1);
  expect(listening[0]).to.include({ pid: server.child.pid });
  expect(server.output()).not.to.match(/uncaught exception|unhandled promise rejection/);
  expect(
    logEntries(server).filter((entry) => entry.level === 'error'),
    'error-level log lines',
  ).to.deep.equal([]);
}

/** After recovery: /health/db passes, the pool is idle, and the server holds exactly the pooled connections. */
async function expectPoolBackToNormal(server: Server, database: string): Promise<PoolNumbers> {
  const answer = await httpRequest(server.port, '/health/db');
  expect(answer.status, answer.body).to.equal(200);
  const { pool } = JSON.parse(answer.body) as { pool: PoolNumbers };
  expect(pool).to.include({ using: 0, waiting: 0 });
  await waitForKeelBackends(
    database,
    (pids) => pids.length === pool.size,
    `one backend per pooled connection (pool ${JSON.stringify(pool)})`,
  );
  return pool;
}

describe('bin/www under database faults', function () {
  this.timeout(30_000);
  const servers: ServerProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let scratch: ScratchDatabase;

  beforeEach(async () => {
    scratch = await createScratchDatabase();
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.kill()));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await scratch.drop();
  });

  async function start(env: Record<string, string>): Promise<Server> {
    const server = await startProductionServer({ AUTH: 'off', DATABASE_URL: scratch.url, DB_PROBE_CACHE_MS: '0', ...env });
    servers.push(server);
    return server;
  }

  async function proxy(): Promise<FaultProxy> {
    const opened = await startFaultProxy(scratch.url);
    cleanups.push(() => opened.close());
    return opened;
  }

  describe('when the server kills its idle connections (pg_terminate_backend)', () => {
    it('logs a warning naming each lost backend, keeps running, and answers the next request from a new connection', async () => {
      const server = await start({});
      await server.waitForOutput(/"message":"database reachable"/);
      expect((await httpRequest(server.port, '/health/db')).status).to.equal(200);
      const killed = await keelBackends(scratch.name);
      expect(killed, 'keel holds an idle connection').to.have.length.at.least(1);

      await queryOnce(testDatabaseUrl(), 'SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [killed]);
      for (const pid of killed)
        await server.waitForOutput(
          new RegExp(
            `"backendPid":${pid}[^\\n]*"message":"database connection lost|"message":"database connection lost[^\\n]*"backendPid":${pid}`,
          ),
          3_000,
        );
      const next = await timedRequest(server.port, '/health/db');

      expect(next.status, next.body).to.equal(200);
      expect(next.elapsedMs, 'a hang guard').to.be.below(1_000);
      const lost = logEntries(server).filter((entry) => entry.message === 'database connection lost; it is dropped from the pool');
      expect(lost.map((entry) => entry.level)).to.deep.equal(killed.map(() => 'warn'));
      expect(lost.map((entry) => entry.backendPid).sort()).to.deep.equal([...killed].sort());
      expectSameProcess(server);
      await expectPoolBackToNormal(server, scratch.name);
      expect(await keelBackends(scratch.name), 'no killed backend is counted').not.to.include.members(killed);
    });
  });

  describe('when the database goes away in the middle of load and comes back', () => {
    it('keeps /health 200 throughout, answers 503 fast while it is gone, and recovers within 2 s of its return', async function () {
      this.timeout(40_000);
      const PROBE_TIMEOUT_MS = 500;
      const faults = await proxy();
      const server = await start({
        DATABASE_URL: faults.url,
        DB_PROBE_TIMEOUT_MS: String(PROBE_TIMEOUT_MS),
        DB_PROBE_WARN_MS: '400',
        DB_CONNECT_TIMEOUT_MS: '300',
        DB_POOL_ACQUIRE_MS: '600',
        DB_STATEMENT_TIMEOUT_MS: '2000',
        REQUEST_DEADLINE_MS: '5000',
      });
      // Ready before the load starts. Not the boot probe's "database reachable": on a busy machine the process,
      // still warming up, can take longer than the 300 ms connect timeout for that first connection (the log then
      // says "database unreachable at boot"), and the next probe, one a request starts, passes.
      await msUntilStatus(server.port, '/health/ready', 200, 10_000);

      // Four clients cycling through liveness, the database report and readiness until told to stop.
      const answers: Timed[] = [];
      let loading = true;
      const paths = ['/health', '/health/db', '/health/ready'];
      const clients = [0, 1, 2, 3].map(async (offset) => {
        for (let i = offset; loading; i += 1) answers.push(await timedRequest(server.port, paths[i % paths.length] as string));
      });
      await sleep(500);
      const goneAt = performance.now();
      faults.resetAll();
      await faults.refuse();
      await sleep(1_500);
      const backAt = performance.now();
      await faults.pass();
      const recoveryMs = await msUntilStatus(server.port, '/health/ready', 200, 5_000);
      await sleep(300);
      loading = false;
      await Promise.all(clients);

      const live = answers.filter((answer) => answer.path === '/health');
      const during = answers.filter(
        (answer) => answer.path !== '/health' && answer.startedAt > goneAt + 50 && answer.startedAt + answer.elapsedMs < backAt,
      );
      const before = answers.filter((answer) => answer.path !== '/health' && answer.startedAt + answer.elapsedMs < goneAt);
      expect(live.length, 'liveness pings').to.be.at.least(10);
      expect(
        live.filter((answer) => answer.status !== 200),
        'liveness never failed',
      ).to.deep.equal([]);
      expect(Math.max(...live.map((answer) => answer.elapsedMs)), 'slowest liveness answer').to.be.below(500);
      expect(
        before.map((answer) => answer.status),
        'before the outage',
      ).to.satisfy((statuses: number[]) => statuses.length > 0 && statuses.every((status) => status === 200));
      expect(during.length, 'database requests during the outage').to.be.at.least(4);
      for (const answer of during) {
        expect(answer.status, `${answer.path} during the outage`).to.equal(503);
        expect(answer.headers['content-type']).to.match(HEALTH_JSON);
        // The security headers on a 5xx too.
        expectSecurityHeaders(answer.headers);
        const body = JSON.parse(answer.body) as { code?: string; reason?: string };
        expect(body.code ?? body.reason).to.equal('database_unavailable');
      }
      expect(Math.max(...during.map((answer) => answer.elapsedMs)), 'slowest 503, within the probe timeout').to.be.below(PROBE_TIMEOUT_MS);
      expect(
        answers.filter((answer) => answer.status !== 200 && answer.status !== 503),
        'other statuses',
      ).to.deep.equal([]);
      expect(recoveryMs, 'ready again after the database returned').to.be.below(2_000);
      expectSameProcess(server);
      await expectPoolBackToNormal(server, scratch.name);
    });
  });

  describe('when the database is silent at boot (blackhole) and then answers', () => {
    it('boots, answers liveness 200 and readiness 503, then turns ready and leaks no connection held during the silence', async () => {
      const faults = await proxy();
      await faults.blackhole();
      const server = await start({
        DATABASE_URL: faults.url,
        DB_PROBE_TIMEOUT_MS: '500',
        DB_PROBE_WARN_MS: '400',
        DB_CONNECT_TIMEOUT_MS: '300',
        DB_POOL_ACQUIRE_MS: '600',
      });

      const live = await timedRequest(server.port, '/health');
      const ready = await timedRequest(server.port, '/health/ready');
      await faults.pass();
      const recoveryMs = await msUntilStatus(server.port, '/health/ready', 200, 5_000);

      expect(live.status).to.equal(200);
      expect(live.elapsedMs).to.be.below(500);
      expect(ready.status).to.equal(503);
      expect(JSON.parse(ready.body)).to.include({ status: 'fail', reason: 'database_unavailable' });
      expect(ready.elapsedMs, 'within the probe timeout').to.be.below(500 + 500);
      expect(recoveryMs).to.be.below(2_000);
      expectSameProcess(server);
      await expectPoolBackToNormal(server, scratch.name);
    });
  });

  describe("when the server refuses connections with 'too many connections' (a role's CONNECTION LIMIT)", () => {
    const role = `keel_limited_${crypto.randomBytes(5).toString('hex')}`;
    const password = crypto.randomBytes(12).toString('hex');

    it('answers /health/db 503 database_unavailable at once while the slots are taken, and 200 again once one is free', async () => {
      await queryOnce(testDatabaseUrl(), `CREATE ROLE ${role} LOGIN PASSWORD '${password}' CONNECTION LIMIT 2`);
      await queryOnce(testDatabaseUrl(), `GRANT CONNECT ON DATABASE ${scratch.name} TO ${role}`);
      // Roles are cluster-wide: dropped after the server and the held connections are gone.
      cleanups.push(async () => {
        await queryOnce(testDatabaseUrl(), `REVOKE ALL ON DATABASE ${scratch.name} FROM ${role}`);
        await queryOnce(testDatabaseUrl(), `DROP ROLE IF EXISTS ${role}`);
      });
      const url = new URL(scratch.url);
      url.username = role;
      url.password = password;
      const server = await start({ DATABASE_URL: url.toString() });
      await server.waitForOutput(/"message":"database reachable"/);
      const [keelPid] = await keelBackends(scratch.name);

      // Someone else takes every slot the role has left, and keel's own connection goes away.
      const holders: Client[] = [];
      cleanups.push(() => Promise.all(holders.map((holder) => holder.end().catch(() => undefined))).then(() => undefined));
      await queryOnce(testDatabaseUrl(), 'SELECT pg_terminate_backend($1)', [keelPid]);
      await server.waitForOutput(/"message":"database connection lost/, 3_000);
      for (let slot = 0; slot < 2; slot += 1) {
        const holder = new Client({ connectionString: url.toString() });
        await holder.connect();
        holders.push(holder);
      }
      const refused = await timedRequest(server.port, '/health/db');
      const live = await timedRequest(server.port, '/health');
      await holders.pop()?.end();
      const recoveryMs = await msUntilStatus(server.port, '/health/db', 200, 5_000);

      expect(refused.status, refused.body).to.equal(503);
      expect(JSON.parse(refused.body)).to.include({ status: 'fail', code: 'database_unavailable' });
      expect(refused.elapsedMs, 'refused at once, not at a timeout').to.be.below(500);
      expect(live.status).to.equal(200);
      expect(recoveryMs).to.be.below(2_000);
      expectSameProcess(server);
      await expectPoolBackToNormal(server, scratch.name);
    });
  });
});

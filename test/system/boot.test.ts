import { expect } from 'chai';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, queryOnce, testDatabaseUrl } from '../support/database';
import { waitFor } from '../support/cluster';
import { httpRequest } from '../support/http';
import { logEntries, spawnServer, startProductionServer, type ServerProcess } from '../support/process';

const SENTINEL_PASSWORD = 'Sentinel-Pw-9f27c1';
const countMatches = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

describe('bin/www', function () {
  this.timeout(30_000);
  const started: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.kill()));
  });

  describe('when started in production with a valid environment', () => {
    it('listens on PORT and answers /health and /health/db with 200', async () => {
      const server = await startProductionServer({ DATABASE_URL: testDatabaseUrl(), AUTH: 'off' });
      started.push(server);

      const health = await httpRequest(server.port, '/health');
      const database = await httpRequest(server.port, '/health/db');

      expect(health.status).to.equal(200);
      expect(JSON.parse(health.body)).to.include({ status: 'pass' });
      expect(database.status).to.equal(200);
      // warn, not pass, when the shared test database has not been migrated (pending migrations).
      expect(JSON.parse(database.body).status).to.be.oneOf(['pass', 'warn']);
    });

    it('writes JSON log lines', async () => {
      const server = await startProductionServer({ DATABASE_URL: testDatabaseUrl(), AUTH: 'off' });
      started.push(server);
      await httpRequest(server.port, '/health/db');

      const lines = server.output().trim().split('\n');
      for (const line of lines) expect(() => JSON.parse(line), line).not.to.throw();
    });

    it("writes a library's console.warn and a process warning as JSON lines of their own, with nothing on stderr", async () => {
      const preload = path.join(__dirname, '..', 'support', 'console-warning-preload.js');
      const server = await startProductionServer({
        DATABASE_URL: testDatabaseUrl(),
        AUTH: 'off',
        NODE_OPTIONS: `--require ${preload}`,
      });
      started.push(server);

      await server.waitForOutput(/a library warns.*\n/);
      await server.waitForOutput(/a library is deprecated.*\n/);

      // stdout and stderr together: a plain line anywhere would fail to parse.
      for (const line of server.output().trim().split('\n')) expect(() => JSON.parse(line), line).not.to.throw();
      const fromConsole = logEntries(server).find((entry) => entry.source === 'console');
      const fromProcess = logEntries(server).find((entry) => entry.source === 'process');
      expect(fromConsole).to.include({ level: 'warn', message: 'a library warns: careful' });
      expect(fromProcess).to.include({
        level: 'warn',
        message: 'a library is deprecated',
        warning: 'DeprecationWarning',
        code: 'LIBRARY_OLD',
      });
    });

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`exits 0 after closing the server and the pool on ${signal}`, async () => {
        const server = await startProductionServer({ DATABASE_URL: testDatabaseUrl(), AUTH: 'off' });
        started.push(server);
        await httpRequest(server.port, '/health/db');

        server.child.kill(signal);
        const { code } = await server.exited;

        expect(code).to.equal(0);
        expect(server.output()).to.match(/"message":"shutdown complete"/);
      });
    }
  });

  describe('when the environment is invalid', () => {
    it('exits 1 naming AUTH_ISSUER when production has no identity provider and AUTH=off does not say so', async () => {
      const server = spawnServer({ NODE_ENV: 'production', PORT: '0', DATABASE_URL: testDatabaseUrl() });
      started.push(server);

      const { code } = await server.exited;

      expect(code).to.equal(1);
      expect(server.output()).to.match(/AUTH_ISSUER: is required in staging and production/);
    });

    it('exits 1 naming DATABASE_URL and never printing its password when the URL is malformed', async () => {
      const url = `mysql://keel:${SENTINEL_PASSWORD}@db.internal:5432/keel`;
      const server = spawnServer({ NODE_ENV: 'production', PORT: '0', DATABASE_URL: url, AUTH: 'off' });
      started.push(server);

      const { code } = await server.exited;

      expect(code).to.equal(1);
      expect(server.output()).to.match(/DATABASE_URL: must use the postgres/);
      expect(server.output()).not.to.include(SENTINEL_PASSWORD);
    });

    it('exits 1 naming AUTH_ISSUER when the issuer is plain http on a host that is not loopback', async () => {
      const server = spawnServer({
        NODE_ENV: 'production',
        PORT: '0',
        DATABASE_URL: testDatabaseUrl(),
        AUTH_ISSUER: 'http://id.example.com/',
        AUTH_AUDIENCE: 'keel',
      });
      started.push(server);

      const { code } = await server.exited;

      expect(code).to.equal(1);
      expect(server.output()).to.match(/AUTH_ISSUER: must be an https:\/\/ URL/);
    });
  });

  describe('when the port is already taken', () => {
    it('exits 1 with a message naming the port', async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, resolve));
      const { port } = blocker.address() as net.AddressInfo;
      try {
        const server = spawnServer({
          NODE_ENV: 'production',
          PORT: String(port),
          DATABASE_URL: testDatabaseUrl(),
          AUTH: 'off',
        });
        started.push(server);

        const { code } = await server.exited;

        expect(code).to.equal(1);
        expect(server.output()).to.include(`port ${port} is already in use`);
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    });
  });

  describe('when DATABASE_URL is unset in development', () => {
    let dataDir: string;
    beforeEach(async () => {
      const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-dev-'));
      // PostgreSQL runs as the postgres user when the suite runs as root: it must reach the directory.
      await fs.chmod(parent, 0o755);
      dataDir = path.join(parent, 'postgres');
    });
    afterEach(async () => {
      await fs.rm(path.dirname(dataDir), { recursive: true, force: true });
    });

    /**
     * bin/www in development on its own embedded PostgreSQL, logging at debug. Its drain delay keeps the
     * pool open after keel's signal, so that PostgreSQL's ends its sessions first, as a Ctrl-C may.
     */
    async function startDevelopmentDraining(env: Record<string, string> = {}): Promise<ServerProcess> {
      const server = spawnServer({
        NODE_ENV: 'development',
        PORT: '0',
        LOG_LEVEL: 'debug',
        SHUTDOWN_DRAIN_DELAY_MS: '1000',
        EMBEDDED_DATABASE_DIR: dataDir,
        EMBEDDED_DATABASE_PORT: String(await freePort()),
        ...env,
      });
      started.push(server);
      return server;
    }

    const embeddedPostgresPid = async (): Promise<number> =>
      Number((await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);

    it('on Ctrl-C, which reaches its PostgreSQL too, logs the connections it ends at debug, warns of nothing and exits 0', async function () {
      this.timeout(60_000);
      const server = await startDevelopmentDraining();
      const [, port] = await server.waitForOutput(/listening \{"address":"[^"]*","port":(\d+)/, 45_000);
      expect((await httpRequest(Number(port), '/health/db')).status).to.equal(200);
      const postgresPid = await embeddedPostgresPid();

      // What a terminal's Ctrl-C does to the foreground process group, keel's signal handled first.
      server.child.kill('SIGINT');
      await server.waitForOutput(/ info shutting down /);
      process.kill(postgresPid, 'SIGINT');
      const { code } = await server.exited;

      expect(server.output()).to.match(/ debug database connection lost; it is dropped from the pool \{[^\n]*"code":"57P01"/);
      expect(server.output(), server.output()).not.to.match(/ (warn|error) /);
      expect(code).to.equal(0);
    });

    it("in a cluster (WEB_CONCURRENCY=2), on Ctrl-C the workers log the sessions the primary's PostgreSQL ends at debug, and all exit 0", async function () {
      this.timeout(60_000);
      const server = await startDevelopmentDraining({ WEB_CONCURRENCY: '2' });
      // Each worker's boot probe leaves one connection in its pool.
      await waitFor(
        () => countMatches(server.output(), / info database reachable /g) === 2 || undefined,
        45_000,
        'both workers reaching the database',
      );
      const workers = [...server.output().matchAll(/ info listening \{[^\n]*"pid":(\d+)/g)].map((match) => Number(match[1]));
      const postgresPid = await embeddedPostgresPid();

      // A terminal's Ctrl-C signals every process of the group; the primary then forwards it to its workers again.
      for (const pid of workers) process.kill(pid, 'SIGINT');
      await waitFor(() => countMatches(server.output(), / info shutting down \{/g) === 2 || undefined, 10_000, 'both workers draining');
      server.child.kill('SIGINT');
      process.kill(postgresPid, 'SIGINT');
      const { code } = await server.exited;

      const output = server.output();
      expect(workers).to.have.lengthOf(2);
      expect(countMatches(output, / debug database connection lost; it is dropped from the pool \{[^\n]*"code":"57P01"/g)).to.equal(2);
      expect(countMatches(output, / debug shutdown already in progress; signal ignored /g)).to.equal(2);
      expect(output, output).not.to.match(/ (warn|error) /);
      expect(output).not.to.match(/ info shutdown already in progress/);
      expect(code).to.equal(0);
    });

    it('starts the embedded PostgreSQL, applies the migrations, serves health and stops it on SIGTERM', async function () {
      this.timeout(60_000);
      const databasePort = await freePort();
      const server = spawnServer({
        NODE_ENV: 'development',
        PORT: '0',
        LOG_LEVEL: 'info',
        EMBEDDED_DATABASE_DIR: dataDir,
        EMBEDDED_DATABASE_PORT: String(databasePort),
      });
      started.push(server);
      const [, port] = await server.waitForOutput(/listening \{"address":"[^"]*","port":(\d+)/, 45_000);

      const health = await httpRequest(Number(port), '/health/db');
      const password = (await fs.readFile(`${dataDir}.password`, 'utf8')).trim();
      const url = `postgres://postgres:${password}@127.0.0.1:${databasePort}/keel`;
      const applied = await queryOnce<{ name: string }>(url, 'SELECT name FROM "SequelizeMeta"');

      expect(health.status).to.equal(200);
      expect(applied.map((row) => row.name)).to.include('20260101000000-foundation.js');

      server.child.kill('SIGTERM');
      const { code } = await server.exited;
      expect(code).to.equal(0);
      const pidFileLeft = await fs.access(path.join(dataDir, 'postmaster.pid')).then(
        () => true,
        () => false,
      );
      expect(pidFileLeft, 'the embedded PostgreSQL is still running').to.equal(false);
    });
  });
});

import { expect } from 'chai';
import crypto from 'node:crypto';
import { adminQuery, createScratchDatabase, queryOnce, testDatabaseUrl, type ScratchDatabase } from '../support/database';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { httpRequest } from '../support/http';
import { waitForListening } from '../support/node-process';
import { logEntries, spawnServer, type ServerProcess } from '../support/process';
import { registerSentinel } from '../support/sentinels';

const BYPASSES = /bypasses row-level security/;
const CHECKED = /database role checked/;

/** A table under row-level security as a generated --tenant resource has it: ENABLE, FORCE and a tenant policy. */
const TENANT_TABLE_SQL = `
  CREATE TABLE keel_test_notes (tenant_id uuid NOT NULL, body text);
  ALTER TABLE keel_test_notes ENABLE ROW LEVEL SECURITY;
  ALTER TABLE keel_test_notes FORCE ROW LEVEL SECURITY;
  CREATE POLICY keel_test_notes_tenant ON keel_test_notes USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)`;

/** The test server's superuser: the embedded server's postgres, or the user of TEST_DATABASE_URL. */
const superuserName = (): string => decodeURIComponent(new URL(testDatabaseUrl()).username);

describe('bin/www: whether its database role bypasses row-level security, checked once the database answers', function () {
  this.timeout(30_000);
  const servers: ServerProcess[] = [];
  const scratches: ScratchDatabase[] = [];
  const roles: string[] = [];
  const proxies: FaultProxy[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.kill()));
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    await Promise.all(scratches.splice(0).map((scratch) => scratch.drop()));
    for (const role of roles.splice(0)) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
  });

  /** A scratch database on the test server, as its superuser; with a table under row-level security unless told otherwise. */
  async function scratchDatabase(options: { rlsTable: boolean } = { rlsTable: true }): Promise<ScratchDatabase> {
    const scratch = await createScratchDatabase();
    scratches.push(scratch);
    if (options.rlsTable) await queryOnce(scratch.url, TENANT_TABLE_SQL);
    return scratch;
  }

  /** The scratch database as an ordinary LOGIN role (NOSUPERUSER NOBYPASSRLS) that may use its tables. */
  async function asOrdinaryRole(scratch: ScratchDatabase): Promise<string> {
    const name = `keel_app_${crypto.randomBytes(6).toString('hex')}`;
    const password = `App-Pw-${crypto.randomBytes(12).toString('hex')}`;
    registerSentinel(password, 'the ordinary role’s password');
    await adminQuery(`CREATE ROLE ${name} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${password}'`);
    roles.push(name);
    await queryOnce(scratch.url, `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${name}`);
    const url = new URL(scratch.url);
    url.username = name;
    url.password = password;
    return url.toString();
  }

  function start(env: Record<string, string>): ServerProcess {
    const server = spawnServer({ NODE_ENV: 'production', PORT: '0', LOG_LEVEL: 'debug', AUTH: 'off', ...env });
    servers.push(server);
    return server;
  }

  const linesAbout = (server: ServerProcess, pattern: RegExp): Record<string, unknown>[] =>
    logEntries(server).filter((entry) => pattern.test(String(entry.message)));

  describe('deployed (production) as a superuser, with a table under row-level security', () => {
    it('exits 1 with an error line naming the role, why it bypasses, the number of tables and what to do', async () => {
      const scratch = await scratchDatabase();
      const server = start({ DATABASE_URL: scratch.url });

      const { code } = await server.exited;

      expect(code, server.output()).to.equal(1);
      const [line, ...more] = linesAbout(server, BYPASSES);
      expect(more).to.deep.equal([]);
      expect(line).to.include({ level: 'error', role: superuserName(), reason: 'it is a superuser', tablesUnderRls: 1 });
      expect(line?.message)
        .to.match(/^refusing to serve: the database role "[^"]+" bypasses row-level security/)
        .and.include('connect as an ordinary role (NOSUPERUSER NOBYPASSRLS)')
        .and.include('DB_ALLOW_RLS_BYPASS=true');
    });

    it('serves with one warn line when DB_ALLOW_RLS_BYPASS=true says it is intended', async () => {
      const scratch = await scratchDatabase();
      // Every /health/db then runs a probe of its own, each one an answer the check could act on again.
      const server = start({ DATABASE_URL: scratch.url, DB_ALLOW_RLS_BYPASS: 'true', DB_PROBE_CACHE_MS: '0' });
      const port = await waitForListening(server);

      await server.waitForOutput(CHECKED);
      const answers = [];
      for (let i = 0; i < 3; i += 1) answers.push((await httpRequest(port, '/health/db')).status);

      expect(answers).to.deep.equal([200, 200, 200]);
      const lines = linesAbout(server, BYPASSES);
      expect(lines).to.have.lengthOf(1);
      expect(lines[0]).to.include({ level: 'warn', role: superuserName(), tablesUnderRls: 1 });
      expect(lines[0]?.message).to.include('DB_ALLOW_RLS_BYPASS=true says this is intended');
      expect(linesAbout(server, CHECKED)).to.have.lengthOf(1);
      expect(server.child.exitCode).to.equal(null);
    });

    it('serves, then exits 1 once the database answers, when it was down at boot', async () => {
      const scratch = await scratchDatabase();
      const proxy = await startFaultProxy(scratch.url);
      proxies.push(proxy);
      await proxy.refuse();
      const server = start({ DATABASE_URL: proxy.url, DB_PROBE_CACHE_MS: '0' });
      const port = await waitForListening(server);
      await server.waitForOutput(/database unreachable at boot/);
      const whileDown = await httpRequest(port, '/health');

      await proxy.pass();
      // As a load balancer does: readiness checks, until the first that gets an answer has run the check.
      while (server.child.exitCode === null) {
        await httpRequest(port, '/health/ready').catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const { code } = await server.exited;

      expect(whileDown.status).to.equal(200);
      expect(code, server.output()).to.equal(1);
      expect(linesAbout(server, BYPASSES)).to.have.lengthOf(1);
      expect(linesAbout(server, BYPASSES)[0]).to.include({ level: 'error' });
    });
  });

  describe('deployed as an ordinary role (NOSUPERUSER NOBYPASSRLS)', () => {
    it('serves and says nothing about row-level security', async () => {
      const scratch = await scratchDatabase();
      const server = start({ DATABASE_URL: await asOrdinaryRole(scratch) });
      const port = await waitForListening(server);

      await server.waitForOutput(CHECKED);
      const health = await httpRequest(port, '/health/db');

      expect(health.status).to.equal(200);
      expect(linesAbout(server, CHECKED)[0]).to.include({ superuser: false, exemptFromRls: false, tablesUnderRls: 1 });
      expect(linesAbout(server, BYPASSES)).to.deep.equal([]);
      // AUTH=off is the one warning such a deployment is meant to give (no identity provider in this test).
      const warnings = logEntries(server).filter((entry) => entry.level === 'warn' || entry.level === 'error');
      expect(warnings.map((entry) => entry.message)).to.deep.equal(['AUTH=off: no bearer token is verified, and every route is public']);
    });
  });

  describe('deployed as a superuser, with no table under row-level security', () => {
    it('serves and says nothing', async () => {
      const scratch = await scratchDatabase({ rlsTable: false });
      const server = start({ DATABASE_URL: scratch.url });
      const port = await waitForListening(server);

      await server.waitForOutput(CHECKED);
      const health = await httpRequest(port, '/health/db');

      expect(health.status).to.equal(200);
      expect(linesAbout(server, CHECKED)[0]).to.include({ superuser: true, tablesUnderRls: 0 });
      expect(linesAbout(server, BYPASSES)).to.deep.equal([]);
      expect(server.child.exitCode).to.equal(null);
    });
  });

  describe('in development as a superuser, with a table under row-level security', () => {
    it('writes a warn line naming the role, why, the number of tables and what to do, and serves', async () => {
      const scratch = await scratchDatabase();
      const server = start({ NODE_ENV: 'development', DATABASE_URL: scratch.url, LOG_LEVEL: 'info' });
      const [, port] = await server.waitForOutput(/listening \{"address":"[^"]*","port":(\d+)/);

      const [line] = await server.waitForOutput(/ warn the database role .*\n/);
      const health = await httpRequest(Number(port), '/health');

      expect(line).to.include(`"${superuserName()}" bypasses row-level security (it is a superuser)`);
      expect(line).to.include('1 table').and.include('connect as an ordinary role (NOSUPERUSER NOBYPASSRLS)');
      expect(health.status).to.equal(200);
      expect(server.child.exitCode).to.equal(null);
    });
  });

  describe('the connection budget, read with the role', () => {
    const BUDGET = /^connection budget/;

    it('in a cluster, says once how many such instances fit: 2 workers × DB_POOL_MAX against what the role is allowed', async () => {
      const scratch = await scratchDatabase({ rlsTable: false });
      const url = await asOrdinaryRole(scratch);
      await adminQuery(`ALTER ROLE ${new URL(url).username} CONNECTION LIMIT 45`);
      const server = start({ DATABASE_URL: url, WEB_CONCURRENCY: '2', DB_POOL_MAX: '10' });

      await server.waitForOutput(/"message":"connection budget/, 20_000);
      await server.waitForOutput(/"message":"database role checked".*\n(?:.*\n)*.*"message":"database role checked"/, 20_000);

      const lines = linesAbout(server, BUDGET);
      expect(lines, server.output()).to.have.lengthOf(1);
      expect(lines[0]).to.include({ level: 'info', perInstance: 20, workers: 2, poolMax: 10, allowed: 45, instancesThatFit: 2 });
    });

    it('warns when one instance alone needs more connections than the role is allowed', async () => {
      const scratch = await scratchDatabase({ rlsTable: false });
      const url = await asOrdinaryRole(scratch);
      await adminQuery(`ALTER ROLE ${new URL(url).username} CONNECTION LIMIT 5`);
      const server = start({ DATABASE_URL: url, DB_POOL_MAX: '10' });

      await server.waitForOutput(/"message":"connection budget exceeded/, 20_000);

      const [line] = linesAbout(server, BUDGET);
      expect(line).to.include({ level: 'warn', perInstance: 10, allowed: 5, instancesThatFit: 0 });
      expect(line?.message).to.include('lower DB_POOL_MAX or WEB_CONCURRENCY, or put PgBouncer in front');
    });
  });
});

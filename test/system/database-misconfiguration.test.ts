import crypto from 'node:crypto';
import { Client } from 'pg';
import { expect } from 'chai';
import { freePort, queryOnce, startTemporaryPostgres, testDatabaseUrl, type TemporaryPostgres } from '../support/database';
import { httpRequest, type HttpResult } from '../support/http';
import { logEntries, startProductionServer, type ServerProcess } from '../support/process';
import { registerSentinel } from '../support/sentinels';

type Server = ServerProcess & { port: number };

/** A password seen only in the wrong DATABASE_URLs below: it must appear in no log line and no body. */
const WRONG_PASSWORD = `Sentinel-Wrong-Pw-${crypto.randomBytes(10).toString('hex')}`;
registerSentinel(WRONG_PASSWORD, 'a wrong database password');

/** Whether server refuses a login with a wrong password (a trust server lets anyone in). */
async function refusesWrongPassword(adminUrl: string): Promise<boolean> {
  const name = `keel_pw_check_${crypto.randomBytes(4).toString('hex')}`;
  await queryOnce(adminUrl, `CREATE ROLE ${name} LOGIN PASSWORD 'right-${name}'`);
  const url = new URL(adminUrl);
  url.username = name;
  url.password = `wrong-${name}`;
  const client = new Client({ connectionString: url.toString() });
  try {
    await client.connect();
    await client.end();
    return false;
  } catch {
    return true;
  } finally {
    await queryOnce(adminUrl, `DROP ROLE ${name}`);
  }
}

describe('bin/www when DATABASE_URL is wrong (a misconfiguration is not an outage)', function () {
  this.timeout(60_000);
  const servers: ServerProcess[] = [];
  // A server that checks passwords: the suite's own when it does, else a temporary embedded one (which does).
  let passwordServer: string;
  let temporary: TemporaryPostgres | undefined;
  let roleName: string;

  before(async () => {
    if (await refusesWrongPassword(testDatabaseUrl())) passwordServer = testDatabaseUrl();
    else {
      temporary = await startTemporaryPostgres('keel-password-pg-');
      passwordServer = temporary.url;
    }
    roleName = `keel_misconfigured_${crypto.randomBytes(4).toString('hex')}`;
    await queryOnce(passwordServer, `CREATE ROLE ${roleName} LOGIN PASSWORD 'right-${crypto.randomBytes(8).toString('hex')}'`);
  });

  after(async () => {
    await queryOnce(passwordServer, `DROP ROLE IF EXISTS ${roleName}`).catch(() => undefined);
    await temporary?.stop();
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.kill()));
  });

  async function start(databaseUrl: string): Promise<Server> {
    const server = await startProductionServer({ AUTH: 'off', DATABASE_URL: databaseUrl, DB_PROBE_CACHE_MS: '0' });
    servers.push(server);
    return server;
  }

  /** The boot line the first probe's outcome gets, once it is written. */
  async function bootLine(server: Server, message: RegExp): Promise<Record<string, unknown>> {
    await server.waitForOutput(new RegExp(`"message":"${message.source}`));
    const line = logEntries(server).find((entry) => typeof entry.message === 'string' && message.test(entry.message));
    return line ?? expect.fail('no boot line');
  }

  function expectNoPassword(server: Server, ...bodies: HttpResult[]): void {
    const seen = `${server.output()}${bodies.map((body) => body.body).join('')}`;
    expect(seen.includes(WRONG_PASSWORD), 'the password appears in the output or a body').to.equal(false);
  }

  it('says at boot, on /health/db and on /health/ready that the password was refused, with database_auth_failed and never the password', async () => {
    const url = new URL(passwordServer);
    url.username = roleName;
    url.password = WRONG_PASSWORD;
    const server = await start(url.toString());

    const line = await bootLine(server, /database refused the login at boot/);
    const database = await httpRequest(server.port, '/health/db');
    const ready = await httpRequest(server.port, '/health/ready');

    expect(line).to.include({ level: 'error', code: 'database_auth_failed', cause: 'authentication_failed' });
    expect(line.reason).to.match(/password authentication failed/);
    expect(database.status).to.equal(503);
    expect(database.headers['retry-after']).to.equal('1');
    expect(JSON.parse(database.body)).to.include({ status: 'fail', code: 'database_auth_failed', cause: 'authentication_failed' });
    expect(ready.status).to.equal(503);
    expect(JSON.parse(ready.body)).to.include({ status: 'fail', reason: 'database_auth_failed' });
    expect(JSON.parse(ready.body).database).to.include({ status: 'fail', cause: 'authentication_failed' });
    expect(database.body).not.to.include(roleName);
    expectNoPassword(server, database, ready);
  });

  it('says that the database does not exist, with database_not_found, naming it in the log only', async () => {
    const missing = `kee1_${crypto.randomBytes(4).toString('hex')}`;
    const url = new URL(testDatabaseUrl());
    // A server that checks passwords checks them before the database name: keep the right one there.
    if (!url.password) url.password = WRONG_PASSWORD;
    url.pathname = `/${missing}`;
    const server = await start(url.toString());

    const line = await bootLine(server, /database not found at boot/);
    const database = await httpRequest(server.port, '/health/db');
    const ready = await httpRequest(server.port, '/health/ready');

    expect(line).to.include({ level: 'error', code: 'database_not_found', cause: 'database_not_found' });
    expect(line.reason).to.equal(`database "${missing}" does not exist`);
    expect(database.status).to.equal(503);
    expect(JSON.parse(database.body)).to.include({ code: 'database_not_found', cause: 'database_not_found' });
    expect(database.body).not.to.include(missing);
    expect(JSON.parse(ready.body)).to.include({ reason: 'database_not_found' });
    expectNoPassword(server, database, ready);
  });

  it('says that the connection was refused when nothing listens, as the outage database_unavailable', async () => {
    const url = new URL(testDatabaseUrl());
    url.hostname = '127.0.0.1';
    url.port = String(await freePort());
    url.password = WRONG_PASSWORD;
    const server = await start(url.toString());

    const line = await bootLine(server, /database unreachable at boot: connection refused/);
    const database = await httpRequest(server.port, '/health/db');

    expect(line).to.include({ level: 'warn', code: 'database_unavailable', cause: 'refused' });
    expect(database.status).to.equal(503);
    expect(JSON.parse(database.body)).to.include({ code: 'database_unavailable', cause: 'refused' });
    expectNoPassword(server, database);
  });
});

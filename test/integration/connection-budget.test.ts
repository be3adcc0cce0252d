import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { Client } from 'pg';
import request from 'supertest';
import type { Database } from '../../lib/keel/db';
import { connectionsAllowed } from '../../lib/keel/db/connection-budget';
import { readDatabaseRole } from '../../lib/keel/db/role-check';
import { testDatabase } from '../support/app';
import { adminQuery, createScratchDatabase, type ScratchDatabase } from '../support/database';
import { registerSentinel } from '../support/sentinels';
import { slowApp } from '../support/slow-app';

// Nested as config/env.ts requires: connect < acquire < statement < deadline. Generous: a busy machine forks backends slowly.
const BUDGETS = { DB_CONNECT_TIMEOUT_MS: '2000', DB_POOL_ACQUIRE_MS: '3000', DB_STATEMENT_TIMEOUT_MS: '5000', REQUEST_DEADLINE_MS: '8000' };
const DEADLINE_MS = 8_000;

describe('more callers than the database has connections for (SQLSTATE 53300)', function () {
  this.timeout(60_000);
  let scratch: ScratchDatabase;
  const cleanups: (() => Promise<void>)[] = [];

  /** A LOGIN role of the scratch database limited to limit connections at once; its URL. */
  async function limitedRole(limit: number): Promise<string> {
    const name = `keel_limited_${crypto.randomBytes(6).toString('hex')}`;
    const password = `Limited-Pw-${crypto.randomBytes(12).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${name} LOGIN NOSUPERUSER CONNECTION LIMIT ${limit} PASSWORD '${password}'`);
    registerSentinel(password, 'the limited role’s password');
    cleanups.push(() => adminQuery(`DROP ROLE ${name}`));
    const url = new URL(scratch.url);
    url.username = name;
    url.password = password;
    return url.toString();
  }

  function open(url: string, overrides: Record<string, string> = {}): Database {
    const database = testDatabase({ DATABASE_URL: url, ...BUDGETS, ...overrides });
    cleanups.push(() => database.close());
    return database;
  }

  /** count connections held open as url's role (not through the code under test), closed after the test. */
  async function hold(url: string, count: number): Promise<Client[]> {
    const clients = Array.from({ length: count }, () => new Client({ connectionString: url }));
    for (const client of clients) {
      await client.connect();
      cleanups.push(() => client.end());
    }
    return clients;
  }

  before(async () => {
    scratch = await createScratchDatabase();
  });

  after(async () => {
    await scratch.drop();
  });

  afterEach(async () => {
    // Pools and clients before the roles they log in as.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('reads what the server allows the role: its CONNECTION LIMIT, within max_connections less the reserved ones', async () => {
    const limited = open(await limitedRole(3));
    const server = open(scratch.url);

    const asLimited = (await readDatabaseRole(limited.sequelize)).connectionLimits;
    const asTestRole = (await readDatabaseRole(server.sequelize)).connectionLimits;

    expect(asLimited).to.include({ roleLimit: 3, superuser: false });
    expect(connectionsAllowed(asLimited)).to.equal(3);
    expect(asLimited.maxConnections).to.be.above(asLimited.reserved);
    // The suite's own role is a superuser: the reserved connections are its too, and no limit binds it.
    expect(asTestRole.superuser).to.equal(true);
    expect(connectionsAllowed(asTestRole)).to.equal(asTestRole.maxConnections);
  });

  it('answers 503 database_unavailable with Retry-After when the role has no connection left, the probe names the cause, and serves again once one frees', async () => {
    const url = await limitedRole(2);
    const [first] = await hold(url, 2);
    const database = open(url);
    const app = slowApp(database, 0.3, DEADLINE_MS);

    const refused = await request(app).get('/slow');
    const report = await database.probe.check();
    await first?.end();
    let served = await request(app).get('/slow');
    // The pool may still be retrying the refused connection's slot: a few tries, each bounded by the acquire timeout.
    for (let tries = 0; served.status !== 200 && tries < 5; tries += 1) served = await request(app).get('/slow');

    expect(refused.status, refused.text).to.equal(503);
    expect(refused.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).to.equal('1');
    expect(refused.body).to.include({ status: 503, code: 'database_unavailable' });
    expect(report.status).to.equal('fail');
    expect(report.fault).to.include({ code: 'database_unavailable', cause: 'too_many_connections' });
    expect(served.status, served.text).to.equal(200);
  });

  it('answers 20 concurrent slow requests from two pools larger than the role allows with 200s and 503 problems only, none after the deadline', async () => {
    const url = await limitedRole(3);
    const apps = [open(url, { DB_POOL_MAX: '4' }), open(url, { DB_POOL_MAX: '4' })].map((database) => slowApp(database, 0.3, DEADLINE_MS));

    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const started = performance.now();
        const res = await request(apps[index % 2] as ReturnType<typeof slowApp>).get('/slow');
        return { status: res.status, code: (res.body as { code?: string }).code, elapsedMs: performance.now() - started };
      }),
    );

    const statuses = new Set(answers.map((answer) => answer.status));
    const problems = answers.filter((answer) => answer.status === 503);
    expect(
      [...statuses].every((status) => status === 200 || status === 503),
      JSON.stringify(answers),
    ).to.equal(true);
    expect(answers.filter((answer) => answer.status === 200).length, 'served by the connections the role has').to.be.above(0);
    expect(problems.length, 'refused beyond the role’s limit').to.be.above(0);
    for (const problem of problems) expect(['database_unavailable', 'database_pool_exhausted']).to.include(problem.code);
    // Bounded: each one answered by the request deadline at the latest (a margin for a busy machine), never a hang.
    expect(Math.max(...answers.map((answer) => answer.elapsedMs))).to.be.below(DEADLINE_MS + 2_000);
  });
});

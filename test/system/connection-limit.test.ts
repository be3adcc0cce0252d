import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { Sequelize } from 'sequelize';
import { startCluster } from '../support/cluster';
import { adminQuery, createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';
import { EXAMPLE_SERVICE } from '../support/example-app';
import { loadMigration } from '../support/migrations';
import { stageProjectCopy, type ServerProcess } from '../support/process';
import { registerSentinel } from '../support/sentinels';

// Nested as config/env.ts requires: connect < acquire < statement < deadline.
const BUDGETS = { DB_CONNECT_TIMEOUT_MS: '1000', DB_POOL_ACQUIRE_MS: '2000', DB_STATEMENT_TIMEOUT_MS: '4000', REQUEST_DEADLINE_MS: '6000' };
const ACQUIRE_MS = 2_000;
const DEADLINE_MS = 6_000;

/**
 * A copy of the built project whose bin/www serves keel's example (test/support/example: generated
 * resources) as its product: its app/routes and app/models are the example's, compiled in the same copy,
 * so that one lib/keel serves both.
 */
function stageExampleService(dir: string): string {
  const www = stageProjectCopy(dir);
  const dist = path.join(dir, 'dist');
  fs.writeFileSync(path.join(dist, 'app', 'routes.js'), "module.exports = require('../test/support/example/app/routes.js');\n");
  fs.writeFileSync(
    path.join(dist, 'app', 'models', 'index.js'),
    "module.exports = require('../../test/support/example/app/models/index.js');\n",
  );
  return www;
}

describe('bin/www: more instances than the database has connections for (a role’s CONNECTION LIMIT)', function () {
  this.timeout(120_000);
  let scratch: ScratchDatabase;
  let dir: string;
  let role: string;
  const servers: ServerProcess[] = [];
  const holders: Client[] = [];

  before(async () => {
    scratch = await createScratchDatabase();
    const sequelize = new Sequelize(scratch.url, { logging: false });
    try {
      for (const file of EXAMPLE_SERVICE.migrations) await loadMigration(file).up(sequelize.getQueryInterface(), Sequelize);
    } finally {
      await sequelize.close();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-connection-limit-'));
  });

  after(async () => {
    await Promise.all(servers.splice(0).map((server) => server.kill()));
    await Promise.all(holders.splice(0).map((holder) => holder.end().catch(() => undefined)));
    // The role's grants live in the scratch database: dropped with it, before the role.
    await scratch.drop();
    if (role) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two instances of 2 workers, each pool larger than the role allows, 20 concurrent slow requests: 200s and 503 problems only, each within its bound', async () => {
    role = `keel_limited_${crypto.randomBytes(6).toString('hex')}`;
    const password = `Limited-Pw-${crypto.randomBytes(12).toString('hex')}`;
    registerSentinel(password, 'the limited role’s password');
    await adminQuery(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS CONNECTION LIMIT 3 PASSWORD '${password}'`);
    await queryOnce(scratch.url, `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
    const url = new URL(scratch.url);
    url.username = role;
    url.password = password;
    const www = stageExampleService(dir);
    const env = { DATABASE_URL: url.toString(), DB_POOL_MAX: '4', ...BUDGETS };
    const instances = [await startCluster(2, env, www), await startCluster(2, env, www)];
    servers.push(...instances.map((instance) => instance.server));

    // Slow: the widgets table locked until every request has been sent and had time to take a connection.
    const lock = new Client({ connectionString: scratch.url });
    holders.push(lock);
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE widgets IN ACCESS EXCLUSIVE MODE');
    const answers = Array.from({ length: 20 }, async (_, index) => {
      const started = performance.now();
      // Not the suite's contract-checked client: this process serves the example's document, not keel's.
      const res = await fetch(`http://127.0.0.1:${(instances[index % 2] as { port: number }).port}/widgets`);
      const body = (await res.json()) as { code?: string };
      return { status: res.status, code: body.code, contentType: res.headers.get('content-type'), elapsedMs: performance.now() - started };
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await lock.query('COMMIT');
    const seen = await Promise.all(answers);

    const problems = seen.filter((answer) => answer.status !== 200);
    const shown = JSON.stringify(seen);
    expect(seen.filter((answer) => answer.status === 200).length, shown).to.be.above(0);
    expect(problems.length, `refused beyond the role’s 3 connections: ${shown}`).to.be.above(0);
    for (const problem of problems) {
      expect(problem.status, shown).to.equal(503);
      expect(problem.contentType, shown).to.match(/^application\/problem\+json/);
      expect(['database_unavailable', 'database_pool_exhausted'], shown).to.include(problem.code);
    }
    // A refusal (53300) is answered at once or after the pool's acquire timeout, never at the deadline: no hang.
    for (const problem of problems) expect(problem.elapsedMs, shown).to.be.below(ACQUIRE_MS + 2_000);
    expect(Math.max(...seen.map((answer) => answer.elapsedMs)), shown).to.be.below(DEADLINE_MS);
    for (const instance of instances) expect(instance.server.child.exitCode, 'still serving').to.equal(null);
  });
});

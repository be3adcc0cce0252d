import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import sinon from 'sinon';
import request from 'supertest';
import { createApp } from '../../lib/keel/http';
import { readPackageInfo } from '../../config/project';
import type { Database } from '../../lib/keel/db';
import { buildTestApp, contractChecked, servingLifecycle, silentLogger, testConfig, testDatabase, SERVICE } from '../support/app';
import { testDatabaseUrl } from '../support/database';
import { expectNoConnectionDetails, unreachableDatabase, unreachableDatabaseUrl } from './fixtures';

const HEALTH_JSON = /^application\/health\+json; charset=utf-8$/;
const PROBLEM_JSON = /^application\/problem\+json; charset=utf-8$/;
const POOL_MAX = 3;

interface PoolBody {
  size: number;
  available: number;
  using: number;
  waiting: number;
  max: number;
  min: number;
}

function expectPoolNumbers(pool: PoolBody): void {
  for (const key of ['size', 'available', 'using', 'waiting', 'max', 'min'] as const) {
    expect(pool[key], `pool.${key}`).to.be.a('number').and.to.be.at.least(0);
  }
}

function expectIsoTimestampNearNow(value: unknown): void {
  expect(value).to.be.a('string');
  const parsed = new Date(value as string);
  expect(parsed.toISOString()).to.equal(value);
  expect(Math.abs(parsed.getTime() - Date.now())).to.be.below(60_000);
}

describe('GET /health', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
  });

  it('answers 200 pass with the package version, the uptime and an ISO timestamp', async () => {
    const res = await request(buildTestApp(database)).get('/health');

    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(HEALTH_JSON);
    expect(res.body.status).to.equal('pass');
    expect(res.body.version).to.equal(readPackageInfo().version);
    expect(res.body.uptimeSeconds).to.be.a('number').and.to.be.at.least(0);
    expect(res.body.uptimeSeconds, 'the process uptime, rounded to ms').to.be.at.most(process.uptime() + 0.001);
    expectIsoTimestampNearNow(res.body.timestamp);
  });

  it('never calls the database when asked for liveness', async () => {
    const check = sinon.stub<[], ReturnType<Database['probe']['check']>>().rejects(new Error('liveness must not probe'));
    const reuse = sinon.stub().throws(new Error('liveness must not ask the probe'));
    const migrations = {
      current: sinon.stub().rejects(new Error('liveness must not read migrations')),
      settled: sinon.stub().throws(new Error('liveness must not ask for migrations')),
    };
    const app = contractChecked(
      createApp({
        ...SERVICE,
        config: testConfig(),
        logger: silentLogger(),
        database: {
          probe: { check, reuse },
          migrations,
          unitOfWork: sinon.stub().rejects(new Error('liveness must not open a unit of work')),
        },
        lifecycle: servingLifecycle(),
        version: '9.9.9',
      }),
    );

    const res = await request(app).get('/health');

    expect(res.status).to.equal(200);
    expect(res.body.status).to.equal('pass');
    expect(check.called || reuse.called, 'probe called').to.equal(false);
    expect(migrations.current.called || migrations.settled.called, 'migrations read').to.equal(false);
  });

  it('sets Cache-Control no-store so no cache answers for the service', async () => {
    const res = await request(buildTestApp(database)).get('/health');

    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('names no host, port, user, password or database of the database URL', async () => {
    const res = await request(buildTestApp(database)).get('/health');

    expect(res.status).to.equal(200);
    expectNoConnectionDetails(res.text, testDatabaseUrl());
  });
});

describe('GET /health/db', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase({ DB_POOL_MAX: String(POOL_MAX) });
  });

  afterEach(async () => {
    await database.close();
  });

  it('answers 200 pass with the response time and the pool numbers when the database is up', async () => {
    const res = await request(buildTestApp(database)).get('/health/db');

    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(HEALTH_JSON);
    expect(res.body.status).to.equal('pass');
    expect(res.body).not.to.have.property('code');
    expect(res.body.responseTimeMs).to.be.a('number').and.to.be.at.least(0);
    expectIsoTimestampNearNow(res.body.checkedAt);
    expectPoolNumbers(res.body.pool);
    expect(res.body.pool.size, 'pool.size after the ping').to.be.at.least(1);
    expect(res.body.pool.max, 'pool.max').to.equal(POOL_MAX);
    expect(res.body.pool.using, 'pool.using once the ping is done').to.equal(0);
  });

  it('sets Cache-Control no-store', async () => {
    const res = await request(buildTestApp(database)).get('/health/db');

    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('names no host, port, user, password or database of the database URL when the database is up', async () => {
    const res = await request(buildTestApp(database)).get('/health/db');

    expect(res.status).to.equal(200);
    expectNoConnectionDetails(res.text, testDatabaseUrl());
  });
});

describe('GET /health/db when the database is unreachable', () => {
  let url: string;
  let database: Database;

  beforeEach(async () => {
    url = await unreachableDatabaseUrl();
    database = await unreachableDatabase(url);
  });

  afterEach(async () => {
    await database.close();
  });

  it('answers 503 fail with code database_unavailable and the pool numbers, without hanging', async () => {
    const started = performance.now();
    const res = await request(buildTestApp(database)).get('/health/db');
    const elapsedMs = performance.now() - started;

    expect(res.status).to.equal(503);
    expect(res.headers['content-type']).to.match(HEALTH_JSON);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.body.status).to.equal('fail');
    expect(res.body.code).to.equal('database_unavailable');
    expect(res.body.detail).to.be.a('string').and.not.to.equal('');
    expect(res.body.responseTimeMs).to.be.a('number').and.to.be.at.least(0);
    expectIsoTimestampNearNow(res.body.checkedAt);
    expectPoolNumbers(res.body.pool);
    expect(elapsedMs, 'a hang guard, far above the connect budget').to.be.below(3_000);
  });

  it('names no host, port, user, password or database of the database URL', async () => {
    const res = await request(buildTestApp(database)).get('/health/db');

    expect(res.status).to.equal(503);
    expectNoConnectionDetails(res.text, url);
  });
});

describe('HEAD /health and HEAD /health/db', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
  });

  for (const path of ['/health', '/health/db']) {
    it(`answers HEAD ${path} with 200 and no body`, async () => {
      const res = await request(buildTestApp(database)).head(path);

      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(HEALTH_JSON);
      expect(res.text ?? '').to.equal('');
      expect(res.body).to.deep.equal({});
    });
  }
});

describe('POST, PUT and DELETE on the health endpoints', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
  });

  for (const path of ['/health', '/health/db']) {
    for (const method of ['post', 'put', 'delete'] as const) {
      it(`answers ${method.toUpperCase()} ${path} with 405 problem+json and Allow: GET, HEAD`, async () => {
        const res = await request(buildTestApp(database))[method](path);

        expect(res.status).to.equal(405);
        expect(res.headers['content-type']).to.match(PROBLEM_JSON);
        expect(res.headers.allow).to.equal('GET, HEAD');
        expect(res.body.status).to.equal(405);
        expect(res.body.code).to.equal('method_not_allowed');
        expect(res.body.requestId).to.equal(res.headers['x-request-id']);
      });
    }
  }
});

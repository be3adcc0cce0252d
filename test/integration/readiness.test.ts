import { expect } from 'chai';
import sinon from 'sinon';
import request from 'supertest';
import { createApp } from '../../lib/keel/http';
import { createLifecycle, type Lifecycle } from '../../lib/keel/http/lifecycle';
import type { Database } from '../../lib/keel/db';
import { buildTestApp, contractChecked, servingLifecycle, silentLogger, testConfig, testDatabase, SERVICE } from '../support/app';
import { unreachableDatabase } from './fixtures';

const HEALTH_JSON = /^application\/health\+json; charset=utf-8$/;
const PROBLEM_JSON = /^application\/problem\+json; charset=utf-8$/;

type AppDatabase = Parameters<typeof createApp>[0]['database'];
type Check = AppDatabase['probe']['check'];

/** The real app over a database that must not be touched: every call rejects, and is counted. */
function appWithUntouchableDatabase(lifecycle: Lifecycle): {
  app: ReturnType<typeof createApp>;
  check: sinon.SinonStub<[], ReturnType<Check>>;
  touched: () => boolean;
} {
  const check = sinon.stub<[], ReturnType<Check>>().rejects(new Error('readiness must not probe the database in this phase'));
  const reuse = sinon.stub().throws(new Error('readiness must not ask the probe in this phase'));
  const current = sinon.stub().rejects(new Error('readiness must not read the database in this phase'));
  const settled = sinon.stub().throws(new Error('readiness must not ask for migrations in this phase'));
  const unitOfWork = sinon.stub().rejects(new Error('readiness must not open a unit of work'));
  const database: AppDatabase = { probe: { check, reuse }, migrations: { current, settled }, unitOfWork };
  const app = contractChecked(
    createApp({ ...SERVICE, config: testConfig(), logger: silentLogger(), database, lifecycle, version: '0.0.0-test' }),
  );
  return { app, check, touched: () => check.called || reuse.called || current.called || settled.called };
}

function drainingLifecycle(): Lifecycle {
  const lifecycle = servingLifecycle();
  lifecycle.startDraining();
  return lifecycle;
}

describe('GET /health/ready', () => {
  describe('while serving with the database up', () => {
    let database: Database;

    beforeEach(() => {
      database = testDatabase({ DB_PROBE_CACHE_MS: '60000' });
    });

    afterEach(async () => {
      await database.close();
    });

    it('answers 200 pass or warn, phase serving, with a summary of the database probe', async () => {
      const res = await request(buildTestApp(database)).get('/health/ready');

      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(HEALTH_JSON);
      expect(res.body.status).to.be.oneOf(['pass', 'warn']);
      expect(res.body.phase).to.equal('serving');
      expect(new Date(res.body.timestamp).toISOString()).to.equal(res.body.timestamp);
      expect(res.body.database).to.have.all.keys('status', 'responseTimeMs', 'cached');
      expect(res.body.database.status).to.be.oneOf(['pass', 'warn']);
      expect(res.body.database.responseTimeMs).to.be.a('number').and.to.be.at.least(0);
      expect(res.body.database.cached).to.equal(false);
      expect(res.headers).not.to.have.property('retry-after');
    });

    it('shares the probe with /health/db: right after it, readiness reports the database result as cached', async () => {
      const app = buildTestApp(database);

      const db = await request(app).get('/health/db');
      const ready = await request(app).get('/health/ready');

      expect(db.status).to.equal(200);
      expect(db.body.cached).to.equal(false);
      expect(ready.status).to.equal(200);
      expect(ready.body.database.cached).to.equal(true);
      expect(ready.body.database.responseTimeMs).to.equal(db.body.responseTimeMs);
    });

    it('sets Cache-Control no-store', async () => {
      const res = await request(buildTestApp(database)).get('/health/ready');

      expect(res.status).to.equal(200);
      expect(res.headers['cache-control']).to.equal('no-store');
    });

    it('turns 503 draining as soon as shutdown begins, without probing again', async () => {
      const lifecycle = servingLifecycle();
      const app = buildTestApp(database, { lifecycle });
      const check = sinon.spy(database.probe, 'check');
      const before = await request(app).get('/health/ready');
      const probesWhileServing = check.callCount;

      lifecycle.startDraining();
      const after = await request(app).get('/health/ready');

      expect(before.status).to.equal(200);
      expect(probesWhileServing).to.equal(1);
      expect(after.status).to.equal(503);
      expect(after.body).to.include({ status: 'fail', phase: 'draining', reason: 'draining' });
      expect(check.callCount, 'probes after draining began').to.equal(probesWhileServing);
    });
  });

  describe('while the lifecycle is starting', () => {
    it('answers 503 fail with reason starting and Retry-After, without calling the probe', async () => {
      const { app, check, touched } = appWithUntouchableDatabase(createLifecycle());

      const res = await request(app).get('/health/ready');

      expect(res.status).to.equal(503);
      expect(res.headers['content-type']).to.match(HEALTH_JSON);
      expect(res.headers['retry-after']).to.equal('1');
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.body).to.include({ status: 'fail', phase: 'starting', reason: 'starting' });
      expect(res.body).not.to.have.property('database');
      expect(check.called, 'probe called').to.equal(false);
      expect(touched(), 'database touched').to.equal(false);
    });
  });

  describe('while draining', () => {
    it('answers 503 fail with reason draining and Retry-After, without calling the probe', async () => {
      const { app, check, touched } = appWithUntouchableDatabase(drainingLifecycle());

      const res = await request(app).get('/health/ready');

      expect(res.status).to.equal(503);
      expect(res.headers['content-type']).to.match(HEALTH_JSON);
      expect(res.headers['retry-after']).to.equal('1');
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.body).to.include({ status: 'fail', phase: 'draining', reason: 'draining' });
      expect(res.body).not.to.have.property('database');
      expect(check.called, 'probe called').to.equal(false);
      expect(touched(), 'database touched').to.equal(false);
    });
  });

  describe('when the database is unreachable', () => {
    let database: Database;

    beforeEach(async () => {
      database = await unreachableDatabase();
    });

    afterEach(async () => {
      await database.close();
    });

    it('answers 503 fail with reason database_unavailable, Retry-After and the failed database summary', async () => {
      const res = await request(buildTestApp(database)).get('/health/ready');

      expect(res.status).to.equal(503);
      expect(res.headers['content-type']).to.match(HEALTH_JSON);
      expect(res.headers['retry-after']).to.equal('1');
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.body).to.include({ status: 'fail', phase: 'serving', reason: 'database_unavailable' });
      expect(res.body.database).to.include({ status: 'fail', cached: false });
    });
  });

  describe('when every pooled connection is busy', () => {
    let database: Database;
    let release: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      database = testDatabase({ DB_POOL_MAX: '1', DB_PROBE_TIMEOUT_MS: '300', DB_PROBE_WARN_MS: '100', DB_PROBE_CACHE_MS: '0' });
      // The one connection held by an open transaction: the probe cannot get it.
      const transaction = await database.sequelize.transaction();
      await database.sequelize.query('SELECT 1', { transaction });
      release = () => transaction.rollback();
    });

    afterEach(async () => {
      await release?.();
      await database.close();
    });

    it('answers 200 warn with reason database_pool_exhausted by default, while /health/db answers 503', async () => {
      const app = buildTestApp(database);

      const ready = await request(app).get('/health/ready');
      const db = await request(app).get('/health/db');

      expect(ready.status).to.equal(200);
      expect(ready.body).to.include({ status: 'warn', phase: 'serving', reason: 'database_pool_exhausted' });
      expect(ready.body.database).to.include({ status: 'fail' });
      expect(ready.headers).not.to.have.property('retry-after');
      expect(db.status).to.equal(503);
      expect(db.body).to.include({ status: 'fail', code: 'database_pool_exhausted' });
    });

    it('answers 503 fail with reason database_pool_exhausted and Retry-After when POOL_EXHAUSTED_READINESS=fail', async () => {
      const res = await request(buildTestApp(database, { config: { POOL_EXHAUSTED_READINESS: 'fail' } })).get('/health/ready');

      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.equal('1');
      expect(res.body).to.include({ status: 'fail', phase: 'serving', reason: 'database_pool_exhausted' });
    });
  });
});

describe('HEAD /health/ready', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
  });

  it('answers 200 with the health content type and no body while serving', async () => {
    const res = await request(buildTestApp(database)).head('/health/ready');

    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(HEALTH_JSON);
    expect(res.text ?? '').to.equal('');
  });

  it('answers 503 with no body while draining', async () => {
    const res = await request(buildTestApp(database, { lifecycle: drainingLifecycle() })).head('/health/ready');

    expect(res.status).to.equal(503);
    expect(res.headers['retry-after']).to.equal('1');
    expect(res.text ?? '').to.equal('');
  });
});

describe('POST, PUT and DELETE on /health/ready', () => {
  for (const method of ['post', 'put', 'delete'] as const) {
    it(`answers ${method.toUpperCase()} with 405 problem+json and Allow: GET, HEAD, without calling the probe`, async () => {
      const { app, check, touched } = appWithUntouchableDatabase(servingLifecycle());

      const res = await request(app)[method]('/health/ready');

      expect(res.status).to.equal(405);
      expect(res.headers['content-type']).to.match(PROBLEM_JSON);
      expect(res.headers.allow).to.equal('GET, HEAD');
      expect(res.body).to.include({ status: 405, code: 'method_not_allowed' });
      expect(res.body.requestId).to.equal(res.headers['x-request-id']);
      expect(check.called, 'probe called').to.equal(false);
      expect(touched(), 'database touched').to.equal(false);
    });
  }
});

describe('GET /health/db and the shared probe', () => {
  describe('with the database up', () => {
    let database: Database;

    beforeEach(() => {
      database = testDatabase({ DB_PROBE_CACHE_MS: '60000' });
    });

    afterEach(async () => {
      await database.close();
    });

    it('says cached: false for the request that ran the probe and cached: true for one within the cache window', async () => {
      const app = buildTestApp(database);

      const first = await request(app).get('/health/db');
      const second = await request(app).get('/health/db');

      expect(first.status).to.equal(200);
      expect(first.body.cached).to.equal(false);
      expect(second.status).to.equal(200);
      expect(second.body.cached).to.equal(true);
      expect(second.body.checkedAt).to.equal(first.body.checkedAt);
    });
  });

  describe('with the database unreachable', () => {
    let database: Database;

    beforeEach(async () => {
      database = await unreachableDatabase();
    });

    afterEach(async () => {
      await database.close();
    });

    it('says cached as a boolean in the 503 body too', async () => {
      const res = await request(buildTestApp(database)).get('/health/db');

      expect(res.status).to.equal(503);
      expect(res.body.code).to.equal('database_unavailable');
      expect(res.body.cached).to.equal(false);
    });
  });
});

describe('GET /health while draining', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
  });

  it('stays 200 pass: liveness is not readiness', async () => {
    const app = buildTestApp(database, { lifecycle: drainingLifecycle() });

    const live = await request(app).get('/health');
    const ready = await request(app).get('/health/ready');

    expect(live.status).to.equal(200);
    expect(live.body.status).to.equal('pass');
    expect(ready.status, 'readiness at the same moment').to.equal(503);
  });
});

describe('the Connection header to a keep-alive client', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
  });

  const requests: ReadonlyArray<readonly ['get' | 'post', string, number]> = [
    ['get', '/health', 200],
    ['get', '/health/db', 200],
    ['get', '/health/ready', 503],
    ['get', '/no-such-route', 404],
    ['post', '/health', 405],
  ];
  for (const [method, path, status] of requests) {
    it(`is close on ${method.toUpperCase()} ${path} (${status}) while draining`, async () => {
      const app = buildTestApp(database, { lifecycle: drainingLifecycle() });

      const res = await request(app)[method](path).set('Connection', 'keep-alive');

      expect(res.status).to.equal(status);
      expect(res.headers.connection).to.equal('close');
    });
  }

  it('stays keep-alive while serving', async () => {
    const res = await request(buildTestApp(database)).get('/health').set('Connection', 'keep-alive');

    expect(res.status).to.equal(200);
    expect(res.headers.connection).to.equal('keep-alive');
  });
});

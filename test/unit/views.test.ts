import { STATUS_CODES } from 'node:http';
import { expect } from 'chai';
import { databaseHealthBody, livenessBody, readinessBody } from '../../app/views/health';
import type { ProbeReport } from '../../db';
import { problemBody } from '../../app/views/problem';
import type { PoolStats } from '../../db';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('problemBody', () => {
  for (const status of [400, 404, 405, 413, 500, 503]) {
    it(`takes the title of a ${status} from the HTTP status phrase`, () => {
      const body = problemBody({ status, code: 'some_code', detail: 'Some detail.', requestId: 'req-1' });

      expect(body.title).to.equal(STATUS_CODES[status]);
      expect(body.status).to.equal(status);
    });
  }

  it('still has a non-empty title for a status without a standard phrase', () => {
    const body = problemBody({ status: 599, code: 'odd', detail: 'Odd.', requestId: 'req-1' });

    expect(body.title).to.be.a('string').with.lengthOf.above(0);
  });

  it('has every RFC 9457 field plus code and requestId, carrying the inputs through', () => {
    const body = problemBody({ status: 409, code: 'version_conflict', detail: 'The resource changed.', requestId: 'abc-123' });

    expect(Object.keys(body)).to.have.members(['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId']);
    expect(body.type).to.be.a('string').with.lengthOf.above(0);
    expect(body).to.include({ status: 409, code: 'version_conflict', detail: 'The resource changed.', requestId: 'abc-123' });
  });

  it('names the occurrence by its request id in instance, not by a request path', () => {
    const body = problemBody({ status: 404, code: 'not_found', detail: 'Nothing here.', requestId: 'req-42' });

    expect(body.instance).to.include('req-42');
    expect(body.instance.startsWith('/')).to.equal(false);
    expect(() => new URL(body.instance)).to.not.throw();
  });

  it('gives different occurrences different instances', () => {
    const first = problemBody({ status: 500, code: 'internal_error', detail: 'x', requestId: 'one' });
    const second = problemBody({ status: 500, code: 'internal_error', detail: 'x', requestId: 'two' });

    expect(first.instance).to.not.equal(second.instance);
  });
});

describe('livenessBody', () => {
  it('passes and reports the version, the uptime and the time as an ISO timestamp', () => {
    const now = new Date('2026-03-04T05:06:07.089Z');

    const body = livenessBody({ version: '1.2.3', uptimeSeconds: 42, now });

    expect(body.status).to.equal('pass');
    expect(body.version).to.equal('1.2.3');
    expect(body.uptimeSeconds).to.equal(42);
    expect(body.timestamp).to.match(ISO_TIMESTAMP);
    expect(new Date(body.timestamp).getTime()).to.equal(now.getTime());
  });

  it('rounds the uptime to the millisecond', () => {
    const body = livenessBody({ version: '1.0.0', uptimeSeconds: 12.345_678_9, now: new Date() });

    expect(body.uptimeSeconds).to.be.closeTo(12.346, 1e-9);
  });
});

describe('databaseHealthBody', () => {
  const pool: PoolStats = { size: 3, available: 2, using: 1, waiting: 0, max: 10, min: 0 };
  const checkedAt = new Date('2026-03-04T05:06:07.089Z');

  it('passes with the response time, the check time and the pool numbers when the database answered', () => {
    const check: ProbeReport = { status: 'pass', responseTimeMs: 1.25, checkedAt, pool, cached: false };

    const body = databaseHealthBody(check);

    expect(body.status).to.equal('pass');
    expect(body.responseTimeMs).to.equal(1.25);
    expect(body.checkedAt).to.match(ISO_TIMESTAMP);
    expect(new Date(body.checkedAt).getTime()).to.equal(checkedAt.getTime());
    expect(body.pool).to.deep.equal(pool);
    expect(body).to.not.have.property('code');
    expect(body).to.not.have.property('detail');
  });

  it('fails with the fault code and detail when the database did not answer', () => {
    const check: ProbeReport = {
      status: 'fail',
      responseTimeMs: 2000,
      checkedAt,
      pool,
      cached: true,
      fault: { code: 'database_unavailable', detail: 'The database cannot be reached.' },
    };

    const body = databaseHealthBody(check);

    expect(body.status).to.equal('fail');
    expect(body).to.include({ code: 'database_unavailable', detail: 'The database cannot be reached.', responseTimeMs: 2000 });
    expect(body.checkedAt).to.match(ISO_TIMESTAMP);
    expect(body.pool).to.deep.equal(pool);
  });

  it('holds nothing but status, timing, pool numbers and the fault', () => {
    const check: ProbeReport = {
      status: 'fail',
      responseTimeMs: 5,
      checkedAt,
      pool,
      cached: false,
      fault: { code: 'database_timeout', detail: 'Too slow.' },
    };

    const body = databaseHealthBody(check);

    expect(Object.keys(body)).to.have.members(['status', 'responseTimeMs', 'checkedAt', 'cached', 'pool', 'code', 'detail']);
    expect(Object.keys(body.pool)).to.have.members(['size', 'available', 'using', 'waiting', 'max', 'min']);
  });
});

describe('readinessBody with every pooled connection busy', () => {
  const now = new Date('2026-03-04T05:06:07.089Z');
  const exhausted: ProbeReport = {
    status: 'fail',
    responseTimeMs: 1000,
    checkedAt: now,
    pool: { size: 2, available: 0, using: 2, waiting: 3, max: 2, min: 0 },
    cached: false,
    fault: { code: 'database_pool_exhausted', detail: 'Every database connection is in use.' },
  };
  const pending = { applied: 1, pending: 1, unknown: 0, latest: '20260101000000-foundation.js' };

  it('warns with POOL_EXHAUSTED_READINESS=warn, and fails with fail', () => {
    const base = { phase: 'serving', now, database: exhausted, pendingMigrations: 'warn' } as const;

    expect(readinessBody({ ...base, poolExhausted: 'warn' })).to.include({ status: 'warn', reason: 'database_pool_exhausted' });
    expect(readinessBody({ ...base, poolExhausted: 'fail' })).to.include({ status: 'fail', reason: 'database_pool_exhausted' });
  });

  it('still fails for pending migrations when MIGRATIONS_PENDING_READINESS=fail, naming them as the reason', () => {
    const body = readinessBody({
      phase: 'serving',
      now,
      database: exhausted,
      migrations: pending,
      pendingMigrations: 'fail',
      poolExhausted: 'warn',
    });

    expect(body).to.include({ status: 'fail', reason: 'migrations_pending' });
  });

  it('fails for any other database fault whatever POOL_EXHAUSTED_READINESS says', () => {
    const unavailable: ProbeReport = { ...exhausted, fault: { code: 'database_unavailable', detail: 'The database cannot be reached.' } };

    const body = readinessBody({ phase: 'serving', now, database: unavailable, pendingMigrations: 'warn', poolExhausted: 'warn' });

    expect(body).to.include({ status: 'fail', reason: 'database_unavailable' });
  });
});

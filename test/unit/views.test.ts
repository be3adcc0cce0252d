import { expect } from 'chai';
import { databaseHealthBody, livenessBody, readinessBody } from '../../lib/keel/endpoints/health-views';
import { problemBody } from '../../lib/keel/http/problem-view';
import type { PoolStats, ProbeReport } from '../../lib/keel/db';

describe('problemBody', () => {
  const titles: ReadonlyArray<readonly [number, string]> = [
    [400, 'Bad Request'],
    [404, 'Not Found'],
    [405, 'Method Not Allowed'],
    [413, 'Payload Too Large'],
    [500, 'Internal Server Error'],
    [503, 'Service Unavailable'],
  ];
  for (const [status, title] of titles) {
    it(`titles a ${status} "${title}"`, () => {
      expect(problemBody({ status, code: 'some_code', detail: 'Some detail.', requestId: 'req-1' }).title).to.equal(title);
    });
  }

  it('titles a status without a standard phrase "Error"', () => {
    expect(problemBody({ status: 599, code: 'odd', detail: 'Odd.', requestId: 'req-1' }).title).to.equal('Error');
  });

  it('is an RFC 9457 body with about:blank, the inputs, and the request id as a URN in instance (never a request path)', () => {
    const body = problemBody({ status: 409, code: 'version_conflict', detail: 'The resource changed.', requestId: 'abc-123' });

    expect(body).to.deep.equal({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'The resource changed.',
      instance: 'urn:keel:request:abc-123',
      code: 'version_conflict',
      requestId: 'abc-123',
    });
  });
});

describe('livenessBody', () => {
  it('passes and reports the version, the uptime and the time as an ISO timestamp', () => {
    const body = livenessBody({ version: '1.2.3', uptimeSeconds: 42, now: new Date('2026-03-04T05:06:07.089Z') });

    expect(body).to.deep.equal({ status: 'pass', version: '1.2.3', uptimeSeconds: 42, timestamp: '2026-03-04T05:06:07.089Z' });
  });

  it('rounds the uptime to the millisecond', () => {
    const body = livenessBody({ version: '1.0.0', uptimeSeconds: 12.345_678_9, now: new Date('2026-03-04T05:06:07.089Z') });

    expect(body.uptimeSeconds).to.equal(12.346);
  });
});

describe('databaseHealthBody', () => {
  const pool: PoolStats = { size: 3, available: 2, using: 1, waiting: 0, max: 10, min: 0 };
  const checkedAt = new Date('2026-03-04T05:06:07.089Z');

  it('passes with the response time, the check time and the pool numbers when the database answered', () => {
    const body = databaseHealthBody({ status: 'pass', responseTimeMs: 1.25, checkedAt, pool, cached: false });

    expect(body).to.deep.equal({
      status: 'pass',
      responseTimeMs: 1.25,
      checkedAt: '2026-03-04T05:06:07.089Z',
      cached: false,
      pool: { size: 3, available: 2, using: 1, waiting: 0, max: 10, min: 0 },
    });
  });

  it('fails with the fault code and detail, and nothing more, when the database did not answer', () => {
    const body = databaseHealthBody({
      status: 'fail',
      responseTimeMs: 2000,
      checkedAt,
      pool,
      cached: true,
      fault: { code: 'database_unavailable', detail: 'The database cannot be reached.' },
    });

    expect(body).to.deep.equal({
      status: 'fail',
      responseTimeMs: 2000,
      checkedAt: '2026-03-04T05:06:07.089Z',
      cached: true,
      pool: { size: 3, available: 2, using: 1, waiting: 0, max: 10, min: 0 },
      code: 'database_unavailable',
      detail: 'The database cannot be reached.',
    });
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

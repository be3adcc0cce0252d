import { expect } from 'chai';
import { prefersOpenMetrics } from '../../lib/keel/endpoints/metrics';
import { hasLiterals, operationOf } from '../../lib/keel/tracing/statement-text';

describe('a statement’s text in its span', () => {
  it('is kept when every value is bound ($n), identifiers and casts with digits included', () => {
    for (const sql of [
      'UPDATE "widgets" SET "name"=$1,"updated_at"=$2 WHERE "id" = $3 RETURNING "id"',
      'SELECT "id", "part2" AS "part2" FROM "widgets" WHERE "id" = $1::uuid LIMIT $12',
      'COMMIT',
      'START TRANSACTION ISOLATION LEVEL READ COMMITTED;',
    ]) {
      expect(hasLiterals(sql), sql).to.equal(false);
    }
  });

  it('is dropped when a value is written into it: a string, a dollar-quoted string, a number', () => {
    for (const sql of [
      `SELECT * FROM "widgets" WHERE "id" = '0192d1c0-0000-7000-8000-000000000000'`,
      `START TRANSACTION; SELECT set_config('app.tenant_id', E'a\\\\b', true)`,
      'SELECT $$secret$$',
      'SELECT $tag$secret$tag$',
      'SELECT pg_sleep(1.5)',
      'SELECT * FROM "widgets" LIMIT 20',
      'SELECT -42',
    ]) {
      expect(hasLiterals(sql), sql).to.equal(true);
    }
  });

  it('names its span by its first keyword', () => {
    expect(operationOf('  select 1')).to.equal('SELECT');
    expect(operationOf('START TRANSACTION;')).to.equal('START');
    expect(operationOf('(SELECT 1)')).to.equal('SQL');
  });
});

describe('GET /metrics content negotiation', () => {
  it('serves OpenMetrics to a Prometheus that stores exemplars, and its own format otherwise', () => {
    const prometheus3 =
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,' +
      'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
    expect(prefersOpenMetrics(prometheus3)).to.equal(true);
    expect(prefersOpenMetrics('application/openmetrics-text; version=1.0.0')).to.equal(true);
    expect(prefersOpenMetrics(undefined)).to.equal(false);
    expect(prefersOpenMetrics('*/*')).to.equal(false);
    expect(prefersOpenMetrics('text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5')).to.equal(false);
    expect(prefersOpenMetrics('application/openmetrics-text;q=0')).to.equal(false);
  });
});

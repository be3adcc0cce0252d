import { expect } from 'chai';
import request, { type Response } from 'supertest';
import type { Database } from '../../lib/keel/db';
import { buildTestApp, testDatabase } from '../support/app';
import { expectSecurityHeaders } from '../support/security-headers';
import { unreachableDatabase, UUID } from './fixtures';

const PROBLEM_JSON = /^application\/problem\+json; charset=utf-8$/;

/** The RFC 9457 members and keel's own, with the request id tying body and header together. */
function expectProblem(res: Response, status: number, code: string): void {
  expect(res.status).to.equal(status);
  expect(res.headers['content-type']).to.match(PROBLEM_JSON);
  expect(res.body.type).to.be.a('string').and.not.to.equal('');
  expect(res.body.title).to.be.a('string').and.not.to.equal('');
  expect(res.body.status).to.equal(status);
  expect(res.body.detail).to.be.a('string').and.not.to.equal('');
  expect(res.body.instance).to.be.a('string').and.not.to.equal('');
  expect(res.body.code).to.equal(code);
  expect(res.body.requestId).to.be.a('string').and.to.equal(res.headers['x-request-id']);
}

describe('a request for an unknown route', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
  });

  it('answers 404 problem+json with code not_found and the request id', async () => {
    const res = await request(buildTestApp(database)).get('/no-such-route');

    expectProblem(res, 404, 'not_found');
    expect(res.body.title).to.equal('Not Found');
  });

  it('does not echo the path in instance nor anywhere else in the body', async () => {
    const sentinel = 'path-sentinel-6f1c2a';

    const res = await request(buildTestApp(database)).get(`/${sentinel}/deeper?q=${sentinel}`);

    expectProblem(res, 404, 'not_found');
    expect(res.body.instance).not.to.include(sentinel);
    expect(res.text).not.to.include(sentinel);
  });

  it('answers 404 for an unknown path under /health too', async () => {
    const res = await request(buildTestApp(database)).get('/health/nope');

    expectProblem(res, 404, 'not_found');
  });
});

describe('a POST with a malformed JSON body', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
  });

  it('answers 400 problem+json with code malformed_json without echoing the input', async () => {
    const sentinel = 'Zq9xK7';
    const malformed = `{"a":${sentinel}}`;
    // The parser's own message quotes the input; the test is only meaningful while it does.
    expect(() => JSON.parse(malformed)).to.throw(sentinel);

    const res = await request(buildTestApp(database)).post('/no-such-route').set('Content-Type', 'application/json').send(malformed);

    expectProblem(res, 400, 'malformed_json');
    expect(res.text).not.to.include(sentinel);
  });
});

describe('a POST with a JSON body over JSON_BODY_LIMIT_KB', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
  });

  it('answers 413 problem+json with code payload_too_large', async () => {
    const app = buildTestApp(database, { config: { JSON_BODY_LIMIT_KB: '1' } });
    const body = JSON.stringify({ filler: 'x'.repeat(2 * 1024) });

    const res = await request(app).post('/health').set('Content-Type', 'application/json').send(body);

    expectProblem(res, 413, 'payload_too_large');
  });

  it('lets a body under the limit through to routing (405 on /health, not 413)', async () => {
    const app = buildTestApp(database, { config: { JSON_BODY_LIMIT_KB: '1' } });
    const body = JSON.stringify({ filler: 'x'.repeat(512) });

    const res = await request(app).post('/health').set('Content-Type', 'application/json').send(body);

    expectProblem(res, 405, 'method_not_allowed');
  });
});

describe('security headers', () => {
  let database: Database;
  let unreachable: Database;

  beforeEach(async () => {
    database = testDatabase();
    unreachable = await unreachableDatabase();
  });

  afterEach(async () => {
    await Promise.all([database.close(), unreachable.close()]);
  });

  it('are set by helmet on a 200', async () => {
    const res = await request(buildTestApp(database)).get('/health');

    expect(res.status).to.equal(200);
    expectSecurityHeaders(res.headers);
  });

  it('are set by helmet on a 404', async () => {
    const res = await request(buildTestApp(database)).get('/no-such-route');

    expect(res.status).to.equal(404);
    expectSecurityHeaders(res.headers);
  });

  it('are set by helmet on a 503 when the database is unreachable', async () => {
    const res = await request(buildTestApp(unreachable)).get('/health/db');

    expect(res.status).to.equal(503);
    expectSecurityHeaders(res.headers);
  });
});

describe('X-Request-Id', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
  });

  for (const sane of ['abc-123', 'edge.lb:4f2a_9c.1', 'x'.repeat(128)]) {
    it(`echoes a sane incoming id (${sane.slice(0, 20)}) in the header and in the problem body`, async () => {
      const res = await request(buildTestApp(database)).get('/no-such-route').set('X-Request-Id', sane);

      expect(res.headers['x-request-id']).to.equal(sane);
      expectProblem(res, 404, 'not_found');
      expect(res.body.requestId).to.equal(sane);
      expect(res.body.instance).to.include(sane);
    });
  }

  const insane: Record<string, string> = {
    'too long': 'x'.repeat(129),
    'containing spaces': 'abc def',
    'containing markup': '<script>alert(1)</script>',
    'containing a quote and a semicolon': 'a";b',
  };
  for (const [why, value] of Object.entries(insane)) {
    it(`replaces an incoming id ${why} with a generated UUID`, async () => {
      const res = await request(buildTestApp(database)).get('/no-such-route').set('X-Request-Id', value);

      const id = res.headers['x-request-id'];
      expect(id).to.match(UUID);
      expect(id).not.to.equal(value);
      expectProblem(res, 404, 'not_found');
      expect(res.body.requestId).to.equal(id);
      expect(res.text).not.to.include(value);
    });
  }

  it('is generated, different per request, when the request carries none', async () => {
    const app = buildTestApp(database);

    const first = await request(app).get('/health');
    const second = await request(app).get('/health');

    expect(first.headers['x-request-id']).to.match(UUID);
    expect(second.headers['x-request-id']).to.match(UUID);
    expect(first.headers['x-request-id']).not.to.equal(second.headers['x-request-id']);
  });

  it('is on every response: 200, 404, 405, 400 and 413', async () => {
    const limited = buildTestApp(database, { config: { JSON_BODY_LIMIT_KB: '1' } });
    const app = buildTestApp(database);

    const responses = [
      await request(app).get('/health'),
      await request(app).get('/health/db'),
      await request(app).head('/health'),
      await request(app).get('/no-such-route'),
      await request(app).delete('/health'),
      await request(app).post('/health').set('Content-Type', 'application/json').send('{"a":'),
      await request(limited)
        .post('/health')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ f: 'x'.repeat(4096) })),
    ];

    expect(responses.map((res) => res.status)).to.deep.equal([200, 200, 200, 404, 405, 400, 413]);
    for (const res of responses) expect(res.headers['x-request-id'], `status ${res.status}`).to.match(UUID);
  });

  it('is on a 503 from an unreachable database', async () => {
    const unreachable = await unreachableDatabase();
    try {
      const res = await request(buildTestApp(unreachable)).get('/health/db');

      expect(res.status).to.equal(503);
      expect(res.headers['x-request-id']).to.match(UUID);
    } finally {
      await unreachable.close();
    }
  });
});

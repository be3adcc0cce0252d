import { expect } from 'chai';
import request from 'supertest';
import type { Database } from '../../lib/keel/db';
import { buildTestApp, testDatabase } from '../support/app';
import { expectSecurityHeaders } from '../support/security-headers';

const PRODUCTION = { NODE_ENV: 'production', AUTH: 'off' };

/** The page's policy, directive by directive (lib/keel/http/middleware/security-headers.ts, apiDocsSecurityHeaders). */
const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

const FILES = [
  ['/docs/swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['/docs/swagger-ui.css', 'text/css; charset=utf-8'],
  ['/docs/favicon-32x32.png', 'image/png'],
  ['/docs/init.js', 'text/javascript; charset=utf-8'],
] as const;

/** Headers that differ between any two responses, whatever the app. */
const VOLATILE = ['date', 'x-request-id', 'content-length', 'etag'];
const directives = (headers: Record<string, string>): string[] => String(headers['content-security-policy']).split(';');
const stable = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !VOLATILE.includes(name)));

describe('GET /docs', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
  });

  it('answers the page, which loads every file from keel itself and starts Swagger UI from a file, when in test', async () => {
    const res = await request(buildTestApp(database)).get('/docs');

    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/html; charset=utf-8');
    const sources = [...res.text.matchAll(/(?:src|href)="([^"]*)"/g)].map((match) => match[1]);
    expect(sources).to.have.members([
      '/docs/favicon-32x32.png',
      '/docs/swagger-ui.css',
      '/docs/swagger-ui-bundle.js',
      '/docs/init.js',
      '/openapi.json',
    ]);
    expect(res.text, 'no inline script').not.to.match(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(res.text, 'no inline style').not.to.match(/<style|\sstyle=/);
  });

  it('sets a Content-Security-Policy of its own, loosened only as far as Swagger UI needs: no inline script, no eval', async () => {
    const res = await request(buildTestApp(database)).get('/docs');

    expect(directives(res.headers)).to.deep.equal(PAGE_POLICY);
    expect(res.headers['content-security-policy']).not.to.match(/unsafe-|\*|https?:/);
    expect(res.headers['cross-origin-opener-policy']).to.equal('same-origin');
    expect(res.headers['x-frame-options']).to.equal('DENY');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['referrer-policy']).to.equal('no-referrer');
  });

  for (const [path, type] of FILES) {
    it(`serves ${path} as ${type} under the page's policy, and answers 304 to its ETag when nothing changed`, async () => {
      const app = buildTestApp(database);

      const res = await request(app).get(path);
      const again = await request(app).get(path).set('If-None-Match', String(res.headers.etag));

      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal(type);
      expect(res.headers['cache-control']).to.equal('no-cache');
      expect(directives(res.headers)).to.deep.equal(PAGE_POLICY);
      expect(Number(res.headers['content-length'])).to.be.greaterThan(0);
      expect(again.status).to.equal(304);
    });
  }

  it('answers another method 405 with Allow: GET, HEAD, and an unknown file 404, under keel’s strict policy', async () => {
    const app = buildTestApp(database);

    const posted = await request(app).post('/docs/init.js');
    const unknown = await request(app).get('/docs/swagger-ui.js');

    expect(posted.status).to.equal(405);
    expect(posted.headers.allow).to.equal('GET, HEAD');
    expect(posted.body.code).to.equal('method_not_allowed');
    expect(unknown.status).to.equal(404);
    expect(unknown.body.code).to.equal('not_found');
    for (const res of [posted, unknown]) expectSecurityHeaders(res.headers);
  });

  it('answers 404 problem+json, as any unknown path, when deployed without API_DOCS', async () => {
    const app = buildTestApp(database, { config: PRODUCTION });

    for (const path of ['/docs', '/docs/init.js', '/docs/swagger-ui-bundle.js']) {
      const res = await request(app).get(path);

      expect(res.status, path).to.equal(404);
      expect(res.headers['content-type']).to.equal('application/problem+json; charset=utf-8');
      expect(res.body.code).to.equal('not_found');
      expectSecurityHeaders(res.headers);
    }
  });

  it('answers the page when deployed with API_DOCS=on, and 404 in development with API_DOCS=off', async () => {
    const deployed = await request(buildTestApp(database, { config: { ...PRODUCTION, API_DOCS: 'on' } })).get('/docs');
    const off = await request(buildTestApp(database, { config: { NODE_ENV: 'development', API_DOCS: 'off' } })).get('/docs');

    expect(deployed.status).to.equal(200);
    expect(off.status).to.equal(404);
  });

  it('leaves the headers of every other response as they are: /health is the same with the page on and off', async () => {
    const on = await request(buildTestApp(database, { config: { API_DOCS: 'on' } })).get('/health');
    const off = await request(buildTestApp(database, { config: { API_DOCS: 'off' } })).get('/health');

    expect(on.status).to.equal(200);
    expect(stable(on.headers)).to.deep.equal(stable(off.headers));
    expectSecurityHeaders(on.headers);
    expect(on.headers['content-security-policy']).to.equal("default-src 'none';frame-ancestors 'none'");
  });
});

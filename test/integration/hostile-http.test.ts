import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { expect } from 'chai';
import type { Express, Request, Response as ExpressResponse } from 'express';
import request from 'supertest';
import { createApp } from '../../lib/keel/http';
import type { Database } from '../../lib/keel/db';
import { buildTestApp, servingLifecycle, silentLogger, testConfig, testDatabase, SERVICE } from '../support/app';
import { expectSecurityHeaders } from '../support/security-headers';

const PROBLEM_JSON = /^application\/problem\+json; charset=utf-8$/;
/** Appears in each hostile input; no response may contain it. */
const MARKER = 'HostileMarker3b9d';
const INTERNALS = /\bat [^\n]+\.[jt]s:\d+|node_modules|SyntaxError|Unexpected token/;

/** What these tests read of a response, from supertest or from sendBytes. */
interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly text: string;
}

function expectProblem(res: Answer, status: number, code: string): void {
  expect(res.status, res.text).to.equal(status);
  expect(res.headers['content-type']).to.match(PROBLEM_JSON);
  expect(JSON.parse(res.text)).to.include({ status, code });
  expect(res.text).not.to.include(MARKER);
  expect(res.text).not.to.match(INTERNALS);
  // The security headers, on every status.
  expectSecurityHeaders(res.headers);
}

/**
 * Sends a body exactly as given (supertest re-encodes binary bodies it is told are JSON), on a
 * listening copy of app; chunked when no Content-Length header is given.
 */
async function sendBytes(app: Express, path: string, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    return await new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: (server.address() as AddressInfo).port, path, method: 'POST', headers, agent: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      );
      req.on('error', reject);
      // In pieces, so a chunked body really arrives in chunks.
      for (let offset = 0; offset < body.length; offset += 16 * 1024) req.write(body.subarray(offset, offset + 16 * 1024));
      req.end();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Object.prototype as a fresh object sees it: nothing a request could have added. */
function expectCleanPrototype(): void {
  const probe: Record<string, unknown> = {};
  expect(probe.polluted, '({}).polluted').to.equal(undefined);
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).to.equal(false);
  expect(Object.keys(Object.prototype)).to.deep.equal([]);
}

/** Every value of a parsed query is a string or a list of strings: no nested objects to pollute with. */
function expectFlatQuery(query: unknown): void {
  expect(query).to.be.an('object');
  const prototype = Object.getPrototypeOf(query) as unknown;
  expect(prototype === null || prototype === Object.prototype, 'the query object has a plain prototype').to.equal(true);
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    const flat = typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
    expect(flat, `query[${JSON.stringify(key)}] is ${JSON.stringify(value)}`).to.equal(true);
  }
}

/** What the app made of a request. */
interface Seen {
  readonly ip: string | undefined;
  readonly query: unknown;
  readonly body: unknown;
}

describe('hostile HTTP input to the app (supertest)', () => {
  let database: Database;

  beforeEach(() => {
    database = testDatabase();
  });

  afterEach(async () => {
    await database.close();
    expectCleanPrototype();
  });

  /**
   * The real app from createApp (no outer app in front, which would parse the query its own way),
   * with every request it handles kept for inspection.
   */
  function inspectedApp(config: Record<string, string> = {}): {
    handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
    seen: Seen[];
  } {
    const app = createApp({
      ...SERVICE,
      config: testConfig(config),
      logger: silentLogger(),
      database,
      lifecycle: servingLifecycle(),
      version: '0.0.0',
    });
    const seen: Seen[] = [];
    return {
      seen,
      handler: (req, res) => {
        // Read once answered, while the socket is still there (req.ip reads its address).
        res.once('finish', () => {
          const handled = req as Request;
          seen.push({ ip: handled.ip, query: handled.query, body: handled.body as unknown });
        });
        app(req as Request, res as ExpressResponse);
      },
    };
  }

  describe('a malformed JSON body', () => {
    const malformed: Record<string, string> = {
      'a bare word as a value': `{"a":${MARKER}}`,
      'garbage after the object': `{"a":1}${MARKER}`,
      'single quotes': `{'${MARKER}':1}`,
      'an unterminated string': `{"${MARKER}`,
      'a top-level string (strict mode)': `"${MARKER}"`,
      'a top-level null (strict mode)': 'null',
      NaN: `{"${MARKER}":NaN}`,
      'a byte-order mark and control bytes': `\u0000\u0001{"${MARKER}":1}`,
      'unbalanced deep nesting': `${'['.repeat(50_000)}"${MARKER}"`,
    };
    for (const [what, body] of Object.entries(malformed)) {
      it(`with ${what} is answered 400 malformed_json, without echoing it`, async () => {
        const res = await request(buildTestApp(database)).post('/health').set('Content-Type', 'application/json').send(body);

        expectProblem(res, 400, 'malformed_json');
      });
    }

    // Decoded, each would become U+FFFD: a value stored that is not the one sent.
    const notUtf8: Record<string, number[]> = {
      'a byte that is never UTF-8 (FF)': [0xff],
      'an overlong encoding of a slash (C0 AF)': [0xc0, 0xaf],
      'an encoded surrogate (ED A0 80)': [0xed, 0xa0, 0x80],
      'a sequence cut short (C3)': [0xc3],
    };
    for (const [what, bytes] of Object.entries(notUtf8)) {
      it(`with ${what} in a string is answered 400 malformed_json: JSON is UTF-8`, async () => {
        const body = Buffer.concat([Buffer.from(`{"${MARKER}":"a`), Buffer.from(bytes), Buffer.from('b"}')]);

        const res = await sendBytes(buildTestApp(database), '/health', { 'Content-Type': 'application/json' }, body);

        expectProblem(res, 400, 'malformed_json');
      });
    }

    it('in UTF-8 with characters of every length gets past the parser to routing (405)', async () => {
      const body = Buffer.from(JSON.stringify({ text: 'a é 漢 🙂' }));

      const res = await sendBytes(buildTestApp(database), '/health', { 'Content-Type': 'application/json; charset=utf-8' }, body);

      expectProblem(res, 405, 'method_not_allowed');
    });

    it('nested 20 000 levels deep, but well formed, gets past the parser to routing (405), not a 5xx', async () => {
      const body = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;

      const res = await request(buildTestApp(database)).post('/health').set('Content-Type', 'application/json').send(body);

      expectProblem(res, 405, 'method_not_allowed');
    });
  });

  describe('a body over JSON_BODY_LIMIT_KB', () => {
    it('is answered 413 when it is a gzip bomb that only inflates past the limit', async () => {
      const bomb = zlib.gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
      expect(bomb.length, 'the compressed body is under the limit').to.be.below(100 * 1024);

      const res = await sendBytes(
        buildTestApp(database),
        '/health',
        { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': String(bomb.length) },
        bomb,
      );

      expectProblem(res, 413, 'payload_too_large');
    });

    it('is answered 413 when it comes chunked, without a Content-Length to refuse it by', async () => {
      const body = Buffer.from(JSON.stringify({ filler: `${MARKER}${'x'.repeat(150 * 1024)}` }));

      const res = await sendBytes(buildTestApp(database), '/no-such-route', { 'Content-Type': 'application/json' }, body);

      expectProblem(res, 413, 'payload_too_large');
    });
  });

  describe('a body the parser cannot decode', () => {
    for (const charset of ['latin1', 'shift_jis', 'x-unknown']) {
      it(`is answered 415 unsupported_charset for charset=${charset}`, async () => {
        const res = await request(buildTestApp(database))
          .post('/health')
          .set('Content-Type', `application/json; charset=${charset}`)
          .send(`{"a":"${MARKER}"}`);

        expectProblem(res, 415, 'unsupported_charset');
      });
    }

    for (const encoding of ['br', 'compress', 'x-marker']) {
      it(`is answered 415 unsupported_content_encoding for Content-Encoding: ${encoding}`, async () => {
        const res = await request(buildTestApp(database))
          .post('/health')
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', encoding)
          .send(`{"a":"${MARKER}"}`);

        expectProblem(res, 415, 'unsupported_content_encoding');
      });
    }

    it('is answered 400 when it claims gzip but is not', async () => {
      const res = await request(buildTestApp(database))
        .post('/health')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .send(`{"a":"${MARKER}"}`);

      expectProblem(res, 400, 'bad_request');
    });
  });

  describe('prototype pollution', () => {
    // Pairs, not an object literal: a '__proto__' key in a literal would set its prototype.
    const payloads: readonly (readonly [string, string])[] = [
      ['__proto__', '{"__proto__":{"polluted":"yes"}}'],
      ['constructor.prototype', '{"constructor":{"prototype":{"polluted":"yes"}}}'],
      ['nested __proto__', '{"a":{"__proto__":{"polluted":"yes"}},"b":[{"__proto__":{"polluted":"yes"}}]}'],
    ];
    for (const [what, body] of payloads) {
      it(`leaves Object.prototype clean after a JSON body with ${what}`, async () => {
        const { handler, seen } = inspectedApp();

        const res = await request(handler).post('/health').set('Content-Type', 'application/json').send(body);

        expectProblem(res, 405, 'method_not_allowed');
        expectCleanPrototype();
        const parsed = seen[0]?.body as Record<string, unknown>;
        expect(Object.getPrototypeOf(parsed), 'the parsed body is a plain object').to.equal(Object.prototype);
        expect(parsed.polluted, 'nothing inherited through the body').to.equal(undefined);
      });
    }

    const queries: Record<string, string> = {
      'a __proto__ key': '__proto__=x&__proto__[polluted]=yes&__proto__.polluted=yes',
      'constructor[prototype]': 'constructor[prototype][polluted]=yes',
      'the qs array-length payload (CVE-2022-24999)': 'a[__proto__]=b&a[__proto__]&a[length]=100000000',
      'a deeply nested key': `${'a'.repeat(10)}${'[b]'.repeat(2_000)}=1`,
    };
    for (const [what, query] of Object.entries(queries)) {
      it(`leaves Object.prototype clean and the query flat after ${what}`, async () => {
        const { handler, seen } = inspectedApp();

        const res = await request(handler).get(`/no-such-route?${query}`);

        expectProblem(res, 404, 'not_found');
        expectCleanPrototype();
        expectFlatQuery(seen[0]?.query);
      });
    }
  });

  describe('the client address (req.ip)', () => {
    it('ignores X-Forwarded-For outside staging and production (no proxy is trusted)', async () => {
      const { handler, seen } = inspectedApp();

      await request(handler).get('/no-such-route').set('X-Forwarded-For', '6.6.6.6, 10.0.0.9');

      expect(seen[0]?.ip).to.match(/127\.0\.0\.1$/);
    });

    it('takes the address added by the one trusted hop in production, never a forged earlier one', async () => {
      const { handler, seen } = inspectedApp({ NODE_ENV: 'production', AUTH: 'off' });

      await request(handler).get('/no-such-route').set('X-Forwarded-For', '6.6.6.6, 10.0.0.9');
      await request(handler).get('/no-such-route').set('X-Forwarded-For', '6.6.6.6,  10.0.0.9 ,  10.0.0.10');

      expect(seen.map((req) => req.ip)).to.deep.equal(['10.0.0.9', '10.0.0.10']);
    });
  });
});

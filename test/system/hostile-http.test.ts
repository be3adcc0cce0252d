import { expect } from 'chai';
import { testDatabaseUrl } from '../support/database';
import { httpRequest } from '../support/http';
import { logEntries, startProductionServer, type ServerProcess } from '../support/process';
import { exchange, type RawResponse } from '../support/raw-http';
import { expectSecurityHeaders } from '../support/security-headers';

type Server = ServerProcess & { port: number };

/** Node's own answers (parser errors, timeouts): a bare status line, no body, and the connection closed. */
const NODE_ANSWER = /^HTTP\/1\.1 (\d{3}) [A-Za-z ]+\r\nConnection: close\r\n/;
const PROBLEM_JSON = /^application\/problem\+json; charset=utf-8$/;
/** What a stack trace or an internal path looks like in a body. */
const INTERNALS = /\bat [^\n]+\.[jt]s:\d+|node_modules|\/dist\/|Error: /;

const HEADERS_TIMEOUT_MS = 2_000;
const REQUEST_TIMEOUT_MS = 3_000;
/** The app's own deadline, below Node's request timeout as the defaults have it (25 s < 70 s). */
const REQUEST_DEADLINE_MS = 1_000;
/** How often Node checks its headers and request timeouts (bin/www.ts). */
const CHECK_INTERVAL_MS = 1_000;

/** A request with the Host header and Connection: close, unless the headers given say otherwise. */
function requestText(method: string, target: string, headers: readonly string[] = [], body = ''): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...headers];
  if (!headers.some((header) => /^connection:/i.test(header))) lines.push('Connection: close');
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** An answer written by Express (keel's stack): the security headers, a request id, problem+json for an error. */
function expectKeelProblem(response: RawResponse | undefined, status: number, code: string): void {
  expect(response, 'a response').not.to.equal(undefined);
  const { headers, body } = response as RawResponse;
  expect(response?.status, body).to.equal(status);
  expect(headers['content-type']).to.match(PROBLEM_JSON);
  expect(JSON.parse(body)).to.include({ status, code });
  expectHelmet(headers);
  expect(body).not.to.match(INTERNALS);
}

function expectHelmet(headers: Readonly<Record<string, string>>): void {
  expectSecurityHeaders(headers);
  expect(headers['x-request-id'], 'a request id').to.be.a('string');
}

async function expectStillServing(server: Server): Promise<void> {
  const live = await httpRequest(server.port, '/health');
  expect(live.status).to.equal(200);
  expect(server.child.exitCode, 'the process is still running').to.equal(null);
  const listening = logEntries(server).filter((entry) => entry.message === 'listening');
  expect(listening).to.have.length(1);
  expect(listening[0]).to.include({ pid: server.child.pid });
}

// ─── A small deterministic fuzzer ───────────────────────────────────────────────────────────────

/** mulberry32: a tiny seeded PRNG, so a failing run can be replayed exactly. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: string[];
  body: string;
  /** Content-Length as sent; undefined: the actual length (when there is a body). */
  contentLength?: string;
}

/** Appears in every mutated part; no response body may contain it (no echo of the input). */
const ECHO_MARKER = 'EchoMarker7c1e';

const BASES: readonly FuzzRequest[] = [
  { method: 'GET', path: '/health', headers: [], body: '' },
  { method: 'GET', path: '/health/db', headers: [], body: '' },
  { method: 'GET', path: '/health/ready', headers: [], body: '' },
  { method: 'HEAD', path: '/health', headers: [], body: '' },
  { method: 'GET', path: '/openapi.json', headers: [], body: '' },
  { method: 'GET', path: '/no-such-route?q=1', headers: [], body: '' },
  { method: 'POST', path: '/health', headers: ['Content-Type: application/json'], body: '{"a":1}' },
  { method: 'PUT', path: '/anything', headers: ['Content-Type: application/json'], body: `{"name":"${ECHO_MARKER}"}` },
];

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'SEARCH',
  'FOO',
  'get',
  'G@T',
  'M'.repeat(40),
  '',
];
const PATH_PIECES = [
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '%2e%2e%2f',
  '..',
  '//',
  '\\',
  ';x=1',
  '?__proto__[x]=1',
  '?a[b][c]=1',
  '#f',
  ' ',
  '\u00e9',
  '\u0001',
  'x'.repeat(9_000),
  `/${ECHO_MARKER}`,
];
const HEADERS = [
  'Content-Length: -1',
  'Content-Length: abc',
  'Content-Length: 2, 3',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: gzip',
  'Content-Encoding: gzip',
  'Content-Encoding: br',
  'Content-Encoding: compress',
  'Content-Type: application/json; charset=utf-7',
  'Content-Type: application/json; charset=latin1',
  'Content-Type: text/plain',
  'Content-Type: application/x-www-form-urlencoded',
  'Expect: 100-continue',
  'Host:',
  'X-Forwarded-For: not-an-ip, ::::, 999.1.1.1',
  'Connection: upgrade',
  'Upgrade: websocket',
  'Accept: */*;q=x',
  'no colon here',
  ` X-Folded: ${ECHO_MARKER}`,
  `X-Big: ${'b'.repeat(17_000)}`,
  `X-Marker: ${ECHO_MARKER}`,
  'X-Bad\u0001Name: 1',
  `Cookie: a=${ECHO_MARKER}`,
];
const BODIES = [
  '{',
  '{"a":',
  "{'a':1}",
  '[1,2,',
  'null',
  '"just a string"',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
  `{"${ECHO_MARKER}":NaN}`,
  '\u00ff\u00fe\u0000{',
  'x'.repeat(200 * 1024),
];

function pick<T>(random: () => number, from: readonly T[]): T {
  return from[Math.floor(random() * from.length)] as T;
}

/** One to three mutations of a valid request. */
function mutate(random: () => number): FuzzRequest {
  const base = pick(random, BASES);
  const request: FuzzRequest = { ...base, headers: [...base.headers] };
  const count = 1 + Math.floor(random() * 3);
  for (let i = 0; i < count; i += 1) {
    const what = random();
    if (what < 0.2) request.method = pick(random, METHODS);
    else if (what < 0.45) {
      const at = Math.floor(random() * (request.path.length + 1));
      request.path = `${request.path.slice(0, at)}${pick(random, PATH_PIECES)}${request.path.slice(at)}`;
    } else if (what < 0.75) request.headers.push(pick(random, HEADERS));
    else if (what < 0.95) {
      request.body = pick(random, BODIES);
      if (!request.headers.some((header) => /^content-type:/i.test(header))) request.headers.push('Content-Type: application/json');
    } else {
      // A Content-Length that disagrees with the body: longer (the server waits for the rest) or shorter.
      request.contentLength = String(Math.max(0, request.body.length + (random() < 0.5 ? 5 : -1)));
    }
  }
  return request;
}

function render(request: FuzzRequest): Buffer {
  const lines = [`${request.method} ${request.path} HTTP/1.1`, 'Host: 127.0.0.1', ...request.headers, 'Connection: close'];
  const length = request.contentLength ?? (request.body ? String(Buffer.byteLength(request.body, 'latin1')) : undefined);
  if (length !== undefined) lines.push(`Content-Length: ${length}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${request.body}`, 'latin1');
}

async function inBatches<T, R>(items: readonly T[], concurrency: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await run(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

describe('bin/www under hostile HTTP input (raw sockets)', function () {
  this.timeout(30_000);
  let server: Server;

  before(async () => {
    server = await startProductionServer({
      DATABASE_URL: testDatabaseUrl(),
      AUTH: 'off',
      LOG_LEVEL: 'info',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      // Nested below the deadline as config/env.ts requires: connect < acquire < statement < deadline.
      REQUEST_DEADLINE_MS: String(REQUEST_DEADLINE_MS),
      DB_STATEMENT_TIMEOUT_MS: '800',
      DB_POOL_ACQUIRE_MS: '500',
      DB_CONNECT_TIMEOUT_MS: '300',
    });
  });

  after(async () => {
    await server.kill();
  });

  afterEach(async function () {
    // Whatever a test sent, the same process goes on serving.
    if (this.currentTest?.state === 'passed') await expectStillServing(server);
  });

  describe('when headers are trickled one byte at a time (slowloris)', () => {
    it('answers 408 from Node between the headers timeout and the request timeout plus one check, and closes', async () => {
      const trickled = requestText('GET', '/health', [`X-Slow: ${'s'.repeat(200)}`]);

      const result = await exchange(server.port, trickled, { trickleMs: 50, timeoutMs: 10_000 });

      expect(result.raw).to.match(NODE_ANSWER);
      expect(result.responses.map((response) => response.status)).to.deep.equal([408]);
      expect(result.elapsedMs, 'not before the headers timeout').to.be.at.least(HEADERS_TIMEOUT_MS - 100);
      expect(result.elapsedMs, 'within the request timeout and one check').to.be.below(REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + 500);
    });
  });

  describe('when a JSON body is declared but stops arriving', () => {
    it('answers 408 problem+json request_body_timeout at the request deadline, not a 503, and closes the connection', async () => {
      const stalled = requestText('POST', '/health', ['Content-Type: application/json', 'Content-Length: 50'], `{"a":"${ECHO_MARKER}`);

      const result = await exchange(server.port, stalled, { timeoutMs: 10_000 });

      expectKeelProblem(result.responses[0], 408, 'request_body_timeout');
      expect(result.responses[0]?.headers.connection).to.equal('close');
      expect(result.raw).not.to.include(ECHO_MARKER);
      expect(result.elapsedMs, 'at the deadline').to.be.within(REQUEST_DEADLINE_MS - 50, REQUEST_DEADLINE_MS + 1_000);
    });
  });

  describe('when a JSON body declares a Content-Length over JSON_BODY_LIMIT_KB', () => {
    it('answers 413 problem+json at once, without waiting for the body, and closes the connection', async () => {
      const oversized = requestText('POST', '/health', ['Content-Type: application/json', 'Content-Length: 104857600'], '{"a":1');

      const result = await exchange(server.port, oversized, { timeoutMs: 10_000 });

      expectKeelProblem(result.responses[0], 413, 'payload_too_large');
      expect(result.responses[0]?.headers.connection).to.equal('close');
      expect(result.elapsedMs, 'at once, not at a timeout').to.be.below(1_000);
    });
  });

  describe('when the headers are over 16 KiB', () => {
    it('answers 431 from Node and closes the connection', async () => {
      const result = await exchange(server.port, requestText('GET', '/health', [`X-Big: ${'b'.repeat(17 * 1024)}`]));

      expect(result.raw).to.match(NODE_ANSWER);
      expect(result.responses.map((response) => response.status)).to.deep.equal([431]);
    });
  });

  describe('when the URL is very long', () => {
    it('answers 414 problem+json between 8 KiB and 16 KiB, without echoing the URL', async () => {
      const path = `/${ECHO_MARKER}${'u'.repeat(9 * 1024)}`;

      const result = await exchange(server.port, requestText('GET', path));

      expectKeelProblem(result.responses[0], 414, 'uri_too_long');
      expect(result.raw).not.to.include(ECHO_MARKER);
    });

    it('answers 431 from Node above 16 KiB', async () => {
      const result = await exchange(server.port, requestText('GET', `/${'u'.repeat(17 * 1024)}`));

      expect(result.raw).to.match(NODE_ANSWER);
      expect(result.responses.map((response) => response.status)).to.deep.equal([431]);
    });
  });

  describe('when the path has malformed percent-encoding', () => {
    for (const path of ['/health/%E0%A4%A', '/%', `/%zz/${ECHO_MARKER}%`, '/health%00', '/%2e%2e/%2e%2e/etc/passwd']) {
      it(`answers ${path.slice(0, 24)} with 404 problem+json and no echo`, async () => {
        const result = await exchange(server.port, requestText('GET', path));

        expectKeelProblem(result.responses[0], 404, 'not_found');
        expect(result.responses[0]?.body).not.to.include(ECHO_MARKER);
      });
    }
  });

  describe('when the method is unknown or unusual', () => {
    for (const method of ['G@T', 'FOO', 'GET\u0000']) {
      it(`answers the invalid method token ${JSON.stringify(method)} with 400 from Node`, async () => {
        const result = await exchange(server.port, requestText(method, '/health'));

        expect(result.raw).to.match(NODE_ANSWER);
        expect(result.responses.map((response) => response.status)).to.deep.equal([400]);
      });
    }

    for (const method of ['PROPFIND', 'TRACE', 'PATCH', 'OPTIONS', 'SEARCH', 'LOCK']) {
      it(`answers ${method} /health with 405 problem+json and Allow, and ${method} on an unknown path with 404`, async () => {
        const known = await exchange(server.port, requestText(method, '/health'));
        const unknown = await exchange(server.port, requestText(method, '/no-such-route'));

        expectKeelProblem(known.responses[0], 405, 'method_not_allowed');
        expect(known.responses[0]?.headers.allow).to.equal('GET, HEAD');
        expectKeelProblem(unknown.responses[0], 404, 'not_found');
      });
    }

    it('closes a CONNECT tunnel request without answering it with a 5xx', async () => {
      const result = await exchange(server.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');

      expect(result.closedByServer).to.equal(true);
      for (const response of result.responses) expect(response.status).to.be.below(500);
    });
  });

  describe('when the request smuggles its framing', () => {
    const smuggling = {
      'both Content-Length and Transfer-Encoding': ['Content-Length: 5', 'Transfer-Encoding: chunked'],
      'two different Content-Lengths': ['Content-Length: 2', 'Content-Length: 3'],
      'a Transfer-Encoding other than chunked last': ['Transfer-Encoding: chunked, gzip'],
    };
    for (const [what, headers] of Object.entries(smuggling)) {
      it(`answers ${what} with 400 from Node`, async () => {
        const result = await exchange(server.port, requestText('POST', '/health', headers, '0\r\n\r\n'));

        expect(result.raw).to.match(NODE_ANSWER);
        expect(result.responses.map((response) => response.status)).to.deep.equal([400]);
      });
    }
  });

  describe('when the client speaks HTTP/1.0 or omits Host', () => {
    it('answers an HTTP/1.0 request without Host with 200 and closes the connection', async () => {
      const result = await exchange(server.port, 'GET /health HTTP/1.0\r\n\r\n');

      expect(result.responses.map((response) => response.status)).to.deep.equal([200]);
      expect(JSON.parse(result.responses[0]?.body ?? '{}')).to.include({ status: 'pass' });
      expectHelmet(result.responses[0]?.headers ?? {});
      expect(result.responses[0]?.headers.connection, 'no keep-alive for HTTP/1.0').to.equal('close');
    });

    it('answers an HTTP/1.1 request without Host with 400 from Node', async () => {
      const result = await exchange(server.port, 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n');

      expect(result.responses.map((response) => response.status)).to.deep.equal([400]);
    });
  });

  describe('when requests are pipelined on one connection', () => {
    it('answers each, in order, with its own request id', async () => {
      const pipelined = [
        'GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: pipe-1\r\n\r\n',
        'GET /no-such-route HTTP/1.1\r\nHost: x\r\nX-Request-Id: pipe-2\r\n\r\n',
        'HEAD /health/ready HTTP/1.1\r\nHost: x\r\nX-Request-Id: pipe-3\r\n\r\n',
        'GET /health/db HTTP/1.1\r\nHost: x\r\nX-Request-Id: pipe-4\r\nConnection: close\r\n\r\n',
      ].join('');

      const result = await exchange(server.port, pipelined, { responses: 4 });

      expect(result.responses.map((response) => [response.status, response.headers['x-request-id']])).to.deep.equal([
        [200, 'pipe-1'],
        [404, 'pipe-2'],
        [200, 'pipe-3'],
        [200, 'pipe-4'],
      ]);
      for (const response of result.responses) expectHelmet(response.headers);
    });
  });

  describe('when a client forges X-Forwarded-For in production (trust proxy: one hop)', () => {
    it('logs as the client ip the address the one trusted hop added, never the forged one', async () => {
      const forged = await exchange(
        server.port,
        requestText('GET', '/no-such-route', ['X-Request-Id: xff-forged-1', 'X-Forwarded-For: 6.6.6.6, 10.0.0.9']),
      );
      const direct = await exchange(server.port, requestText('GET', '/no-such-route', ['X-Request-Id: xff-none-1']));
      await server.waitForOutput(
        /"requestId":"xff-none-1"[^\n]*"message":"request"|"message":"request"[^\n]*"requestId":"xff-none-1"/,
        3_000,
      );

      const ipOf = (id: string): unknown => logEntries(server).find((entry) => entry.message === 'request' && entry.requestId === id)?.ip;
      expect(forged.responses[0]?.status).to.equal(404);
      expect(direct.responses[0]?.status).to.equal(404);
      expect(ipOf('xff-forged-1')).to.equal('10.0.0.9');
      expect(ipOf('xff-none-1')).to.match(/127\.0\.0\.1$/);
      expect(server.output()).not.to.include('6.6.6.6');
    });
  });

  describe('when 300 seeded random mutations of valid requests arrive', () => {
    it('never answers 5xx, never shows internals or echoes the input, and keeps serving', async function () {
      this.timeout(60_000);
      const random = mulberry32(0x6b65656c);
      const requests = Array.from({ length: 300 }, () => mutate(random));

      const results = await inBatches(requests, 24, (request) => exchange(server.port, render(request), { timeoutMs: 6_000 }));

      const answered = results.flatMap((result, index) => result.responses.map((response) => ({ response, request: requests[index] })));
      const describe = (entry: { response: RawResponse; request: FuzzRequest | undefined }): string =>
        `${entry.response.status} for ${JSON.stringify(entry.request).slice(0, 300)}`;
      expect(answered.length, 'responses received').to.be.at.least(250);
      expect(answered.filter((entry) => entry.response.status >= 500).map(describe), '5xx answers').to.deep.equal([]);
      expect(answered.filter((entry) => entry.response.body.includes(ECHO_MARKER)).map(describe), 'echoes').to.deep.equal([]);
      expect(answered.filter((entry) => INTERNALS.test(entry.response.body)).map(describe), 'internals').to.deep.equal([]);
      for (const { response } of answered.filter((entry) => entry.response.headers['x-request-id'] !== undefined)) {
        expectHelmet(response.headers);
        if (response.status >= 400) expect(response.headers['content-type']).to.match(PROBLEM_JSON);
      }
      expect(
        logEntries(server).filter((entry) => entry.level === 'error'),
        'error-level log lines',
      ).to.deep.equal([]);
      expect(server.output()).not.to.match(/uncaught exception|unhandled promise rejection/);
    });
  });
});

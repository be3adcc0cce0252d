import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { Validator } from '@seriousme/openapi-schema-validator';
import { expect } from 'chai';
import express, { type Express } from 'express';
import request, { type Response as SupertestResponse } from 'supertest';
import { createApp } from '../../lib/keel/http';
import { createMetrics } from '../../lib/keel/http/metrics';
import { openApiDocument, type OpenApiDocument } from '../../lib/keel/http/openapi';
import { ROUTES } from '../../app/routes';
import { projectRoot, readPackageInfo } from '../../config/project';
import { contractChecked, servingLifecycle, silentLogger, testConfig, SERVICE } from '../support/app';
import { Contract, keelContract, takeViolations, type ObservedResponse } from '../support/contract';
import { ROUTES as TEST_ROUTES } from '../support/example/app/routes';
import { httpRequest } from '../support/http';

const VERSION = readPackageInfo().version;

/**
 * The real app with every optional endpoint on (metrics: on by default outside staging and production). /openapi.json
 * and the route walk never touch the database, so every call to it fails loudly.
 */
function appWithoutDatabase(): Express {
  const untouchable = (): Promise<never> => Promise.reject(new Error('the database must not be touched'));
  const untouchableNow = (): never => {
    throw new Error('the database must not be touched');
  };
  return createApp({
    ...SERVICE,
    config: testConfig(),
    logger: silentLogger(),
    database: {
      probe: { check: untouchable, reuse: untouchableNow },
      migrations: { current: untouchable, settled: untouchableNow },
      unitOfWork: untouchable,
    },
    lifecycle: servingLifecycle(),
    version: VERSION,
    metrics: createMetrics({ pools: () => [], probes: () => [] }),
  });
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The document of keel's own routes, as the shipped app serves it. */
const keelDocument = (): OpenApiDocument => openApiDocument(VERSION, ROUTES);

const asJson = (document: OpenApiDocument): Record<string, unknown> => JSON.parse(JSON.stringify(document)) as Record<string, unknown>;

// ─── Express 4's router, walked ──────────────────────────────────────────────────────────────────

/** The parts of Express 4's router internals the walk reads; @types/express does not declare them. */
interface ExpressLayer {
  readonly name: string;
  readonly regexp: RegExp & { readonly fast_slash?: boolean };
  readonly route?: { readonly path: unknown; readonly methods: Readonly<Record<string, boolean>> };
  readonly handle: { readonly stack?: readonly ExpressLayer[] };
}

/** The mount path of app.use(path, router): Express 4 keeps only the regexp path-to-regexp made of it. */
function mountPath(layer: ExpressLayer): string {
  if (layer.regexp.fast_slash) return '';
  const match = /^\^((?:\\\/(?:[\w-]|\\\.)+)+)\\\/\?\(\?=\\\/\|\$\)$/.exec(layer.regexp.source);
  if (!match?.[1]) throw new Error(`cannot read the mount path of ${String(layer.regexp)}: teach mountPath this shape`);
  return match[1].replace(/\\\//g, '/').replace(/\\\./g, '.');
}

interface Routes {
  /** 'GET /health', … */
  readonly operations: string[];
  /** Paths that answer every other method (405). */
  readonly otherMethods: string[];
}

/** Every method and path the app's routes serve, nested routers included; HEAD comes with GET, .all() is "other methods". */
function servedRoutes(stack: readonly ExpressLayer[], prefix = '', into: Routes = { operations: [], otherMethods: [] }): Routes {
  for (const layer of stack) {
    if (layer.route) {
      if (typeof layer.route.path !== 'string') throw new Error(`a route path that is not a string: ${String(layer.route.path)}`);
      // Express's ':id' is the document's '{id}'.
      const path = (`${prefix}${layer.route.path === '/' ? '' : layer.route.path}` || '/').replace(/:(\w+)/g, '{$1}');
      const methods = Object.keys(layer.route.methods).filter((method) => method !== '_all');
      if (methods.includes('get') && !methods.includes('head')) methods.push('head');
      into.operations.push(...methods.map((method) => `${method.toUpperCase()} ${path}`));
      if (layer.route.methods._all) into.otherMethods.push(path);
    } else if (layer.name === 'router' && layer.handle.stack) {
      servedRoutes(layer.handle.stack, `${prefix}${mountPath(layer)}`, into);
    }
  }
  return into;
}

function documentedRoutes(document: OpenApiDocument): Routes {
  const routes: Routes = { operations: [], otherMethods: [] };
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of HTTP_METHODS) if (item[method]) routes.operations.push(`${method.toUpperCase()} ${path}`);
    if ((item as Record<string, unknown>)['x-other-methods']) routes.otherMethods.push(path);
  }
  return routes;
}

function appRoutes(): Routes {
  // Express 4 internals: the app's router and its layers (see ExpressLayer).
  const { _router } = appWithoutDatabase() as unknown as { _router: { stack: readonly ExpressLayer[] } };
  return servedRoutes(_router.stack);
}

const missingFrom = (expected: readonly string[], actual: readonly string[]): string[] =>
  expected.filter((entry) => !actual.includes(entry));

// ─── Walking the document ────────────────────────────────────────────────────────────────────────

interface Located {
  readonly pointer: string;
  readonly value: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const escapeSegment = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every media type object (under a `content`) and every header object (under a `headers`) in the document. */
function mediaTypesAndHeaders(node: unknown, pointer = ''): { mediaTypes: Located[]; headers: Located[] } {
  const found = { mediaTypes: [] as Located[], headers: [] as Located[] };
  if (!isObject(node)) return found;
  for (const [key, child] of Object.entries(node)) {
    const childPointer = `${pointer}/${escapeSegment(key)}`;
    if ((key === 'content' || key === 'headers') && isObject(child) && !pointer.startsWith('/components/schemas')) {
      for (const [name, value] of Object.entries(child)) {
        if (isObject(value) && !('$ref' in value)) {
          (key === 'content' ? found.mediaTypes : found.headers).push({ pointer: `${childPointer}/${escapeSegment(name)}`, value });
        }
      }
    }
    const deeper = mediaTypesAndHeaders(child, childPointer);
    found.mediaTypes.push(...deeper.mediaTypes);
    found.headers.push(...deeper.headers);
  }
  return found;
}

/** A response as supertest got it, in the shape the contract check takes. */
const observed = (method: string, path: string, res: SupertestResponse): ObservedResponse => ({
  method,
  path,
  status: res.status,
  headers: res.headers as Record<string, string>,
  body: res.text ?? '',
});

const withoutHeader = (headers: ObservedResponse['headers'], name: string): ObservedResponse['headers'] =>
  Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));

// ─── The tests ───────────────────────────────────────────────────────────────────────────────────

describe('GET /openapi.json', () => {
  it('answers 200 application/json with the OpenAPI document, info.version the package version', async () => {
    const res = await request(contractChecked(appWithoutDatabase())).get('/openapi.json');

    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/json; charset=utf-8');
    expect(res.body.openapi).to.match(/^3\.1\.\d+$/);
    expect(res.body.info.version).to.equal(VERSION);
    expect(res.body).to.deep.equal(asJson(keelDocument()));
  });

  it('lets clients and caches keep it for five minutes and revalidate it: 304 for the ETag it gave', async () => {
    const app = contractChecked(appWithoutDatabase());

    const first = await request(app).get('/openapi.json');
    const again = await request(app).get('/openapi.json').set('If-None-Match', String(first.headers.etag));

    expect(first.headers['cache-control']).to.equal('public, max-age=300');
    expect(first.headers.etag).to.be.a('string').and.not.equal('');
    expect(again.status).to.equal(304);
    expect(again.text ?? '').to.equal('');
    expect(again.headers['x-request-id']).to.be.a('string');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await request(contractChecked(appWithoutDatabase())).head('/openapi.json');

    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/json; charset=utf-8');
    expect(res.text ?? '').to.equal('');
  });

  for (const method of ['post', 'put', 'delete'] as const) {
    it(`answers ${method.toUpperCase()} with 405 problem+json and Allow: GET, HEAD`, async () => {
      const res = await request(contractChecked(appWithoutDatabase()))[method]('/openapi.json');

      expect(res.status).to.equal(405);
      expect(res.headers['content-type']).to.equal('application/problem+json; charset=utf-8');
      expect(res.headers.allow).to.equal('GET, HEAD');
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.body).to.include({ status: 405, code: 'method_not_allowed' });
    });
  }
});

describe('the OpenAPI document (lib/keel/http/openapi.ts)', () => {
  it('is valid OpenAPI 3.1 according to @seriousme/openapi-schema-validator', async () => {
    const validator = new Validator();

    const result = await validator.validate(asJson(keelDocument()));

    expect(result.errors, 'validation errors').to.equal(undefined);
    expect(result.valid).to.equal(true);
    expect(validator.version).to.equal('3.1');
  });

  it('would be rejected by that validator with a response missing its description (the check has teeth)', async () => {
    const broken = asJson(keelDocument()) as { components: { responses: Record<string, Record<string, unknown>> } };
    delete broken.components.responses.NotFound?.description;

    const result = await new Validator().validate(broken);

    expect(result.valid).to.equal(false);
  });

  it('gives every response body at least one example, and every example matches its own schema', () => {
    const contract = new Contract(keelDocument());
    const { mediaTypes } = mediaTypesAndHeaders(contract.json);
    const failures: string[] = [];
    let checked = 0;

    for (const { pointer, value } of mediaTypes) {
      const examples = isObject(value.examples) ? Object.entries(value.examples) : [];
      if (examples.length === 0) failures.push(`${pointer} has no example`);
      for (const [name, example] of examples) {
        checked += 1;
        const failure = contract.check(`${pointer}/schema`, isObject(example) ? example.value : undefined, `example ${name}`);
        if (failure) failures.push(`${pointer}: ${failure}`);
      }
    }

    expect(failures).to.deep.equal([]);
    expect(mediaTypes.length, 'media types found').to.be.at.least(10);
    expect(checked, 'examples checked').to.be.at.least(mediaTypes.length);
  });

  it('gives every header an example that matches its own schema', () => {
    const contract = new Contract(keelDocument());
    const { headers } = mediaTypesAndHeaders(contract.json);

    const failures = headers
      .map(({ pointer, value }) =>
        typeof value.example === 'string' ? contract.check(`${pointer}/schema`, value.example, pointer) : `${pointer} has no example`,
      )
      .filter((failure) => failure !== '');

    expect(failures).to.deep.equal([]);
    expect(headers.length, 'header objects found').to.be.at.least(6);
  });
});

interface LintReport {
  readonly totals: { readonly errors: number; readonly warnings: number };
  readonly problems: readonly {
    readonly ruleId: string;
    readonly severity: string;
    readonly location: readonly { readonly pointer: string }[];
  }[];
}

/**
 * Runs Redocly CLI 2's `lint` with its recommended rules on a document, in a directory with no Redocly
 * configuration of its own, offline: no telemetry, no update check.
 */
async function redoclyLint(document: unknown): Promise<LintReport> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-redocly-'));
  try {
    const file = path.join(directory, 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(document));
    const cli = path.join(projectRoot(), 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
    const run = promisify(execFile);
    const output = await run(process.execPath, [cli, 'lint', file, '--extends=recommended', '--format=json'], {
      cwd: directory,
      env: { PATH: process.env.PATH ?? '', REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      timeout: 30_000,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    return JSON.parse(output.stdout) as LintReport;
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

const errorsOf = (report: LintReport): string[] =>
  report.problems
    .filter((problem) => problem.severity === 'error')
    .map((problem) => `${problem.ruleId} at ${problem.location[0]?.pointer}`);

describe('the served document under an independent linter (Redocly CLI 2, recommended rules)', function () {
  this.timeout(60_000);

  it('reports no error for keel’s own document, as /openapi.json serves it', async () => {
    const res = await request(contractChecked(appWithoutDatabase())).get('/openapi.json');

    const report = await redoclyLint(res.body);

    expect(errorsOf(report)).to.deep.equal([]);
  });

  it('reports no error for the document of a service with resources added (test/support/example)', async () => {
    const report = await redoclyLint(openApiDocument(VERSION, TEST_ROUTES));

    expect(errorsOf(report)).to.deep.equal([]);
  });

  it('reports no error for the document of a resource that needs a caller, with a scope for its writes', async () => {
    const guarded = TEST_ROUTES.map((entry) => (entry.path === '/widgets' ? { ...entry, access: { write: ['widgets:write'] } } : entry));
    const document = openApiDocument(VERSION, guarded);

    const report = await redoclyLint(document);

    expect(errorsOf(report)).to.deep.equal([]);
    expect(document.paths?.['/widgets']?.post?.security).to.deep.equal([{ bearerAuth: ['widgets:write'] }]);
  });

  it('would report a document with no servers and an operation that says nothing of its security (the check has teeth)', async () => {
    const broken = asJson(keelDocument()) as { servers?: unknown; paths: Record<string, Record<string, { security?: unknown }>> };
    delete broken.servers;
    delete broken.paths['/metrics']?.get?.security;

    const report = await redoclyLint(broken);

    expect(errorsOf(report)).to.have.members(['no-empty-servers at #/openapi', 'security-defined at #/paths/~1metrics/get']);
  });
});

describe('the routes of the app and the paths of the document', () => {
  /** The route table's pages (x-pages): the paths, and the files under them, that are not operations of the API. */
  let pagesOfTheDocument: readonly string[] | undefined;
  // Made once: onPage asks for every route, and a project's resources make the document slow to build.
  const pages = (): readonly string[] => (pagesOfTheDocument ??= (asJson(keelDocument())['x-pages'] as { paths: string[] }).paths);
  const onPage = (route: string): boolean => pages().some((page) => route.endsWith(` ${page}`) || route.includes(` ${page}/`));
  /** The operations and 405 paths the app serves, less its pages. */
  const apiRoutes = (): Routes => {
    const served = appRoutes();
    return {
      operations: served.operations.filter((operation) => !onPage(operation)),
      otherMethods: served.otherMethods.filter((path) => !onPage(` ${path}`)),
    };
  };

  it('documents every method and path the app serves', () => {
    const served = apiRoutes();
    const documented = documentedRoutes(keelDocument());

    expect(missingFrom(served.operations, documented.operations), 'served but not documented').to.deep.equal([]);
    expect(served.operations, 'the walk found the routes').to.include('GET /health/ready');
  });

  it('serves every method and path the document names', () => {
    const served = apiRoutes();
    const documented = documentedRoutes(keelDocument());

    expect(missingFrom(documented.operations, served.operations), 'documented but not served').to.deep.equal([]);
  });

  it('answers other methods with 405 on exactly the paths whose document says so (x-other-methods)', () => {
    const served = apiRoutes();
    const documented = documentedRoutes(keelDocument());

    expect([...served.otherMethods].sort()).to.deep.equal([...documented.otherMethods].sort());
  });

  it('lists the route table’s entries without operations as pages (x-pages), served by the app and in no path of the document', () => {
    const served = appRoutes();
    const documented = documentedRoutes(keelDocument());

    expect(pages()).to.deep.equal(ROUTES.filter((entry) => entry.operations.length === 0).map((entry) => entry.path));
    expect(pages()).to.include('/docs');
    expect(served.operations).to.include.members(['GET /docs', 'HEAD /docs', 'GET /docs/init.js']);
    expect(documented.operations.filter(onPage), 'documented as operations').to.deep.equal([]);
  });
});

describe('errors any request can meet before its route, as the document describes them', () => {
  interface Case {
    readonly what: string;
    readonly method: 'GET' | 'POST';
    readonly path: string;
    readonly send: (test: request.Test) => request.Test;
    readonly status: number;
    readonly code: string;
  }
  const cases: readonly Case[] = [
    {
      what: 'a URL over 8 KiB',
      method: 'GET',
      path: '/health',
      send: (test) => test.query({ q: 'a'.repeat(9_000) }),
      status: 414,
      code: 'uri_too_long',
    },
    {
      what: 'a malformed JSON body on GET /health/ready',
      method: 'GET',
      path: '/health/ready',
      send: (test) => test.set('Content-Type', 'application/json').send('{"a":'),
      status: 400,
      code: 'malformed_json',
    },
    {
      what: 'a JSON body in latin1 on an unknown path',
      method: 'POST',
      path: '/no-such-route',
      send: (test) => test.set('Content-Type', 'application/json; charset=latin1').send('{}'),
      status: 415,
      code: 'unsupported_charset',
    },
  ];
  for (const { what, method, path, send, status, code } of cases) {
    it(`answers ${what} with ${status} ${code}, a response the document describes`, async () => {
      const app = request(contractChecked(appWithoutDatabase()));

      const res = await send(method === 'GET' ? app.get(path) : app.post(path));

      expect(res.status).to.equal(status);
      expect(res.body.code).to.equal(code);
      expect(keelContract().violations(observed(method, path, res))).to.deep.equal([]);
    });
  }

  it('answers HEAD on an unknown path with 404 and the documented headers', async () => {
    const res = await request(contractChecked(appWithoutDatabase())).head('/no-such-route');

    expect(res.status).to.equal(404);
    expect(keelContract().violations(observed('HEAD', '/no-such-route', res))).to.deep.equal([]);
  });
});

describe('the contract check (test/support/contract.ts)', () => {
  let liveness: ObservedResponse;
  let methodNotAllowed: ObservedResponse;

  beforeEach(async () => {
    const app = contractChecked(appWithoutDatabase());
    liveness = observed('GET', '/health', await request(app).get('/health'));
    methodNotAllowed = observed('POST', '/health', await request(app).post('/health'));
  });

  it('finds nothing to report in the responses the app really sends', () => {
    expect(keelContract().violations(liveness)).to.deep.equal([]);
    expect(keelContract().violations(methodNotAllowed)).to.deep.equal([]);
  });

  it('reports a body with a field the document does not name', () => {
    const body = JSON.stringify({ ...(JSON.parse(liveness.body) as object), hostname: 'db-1.internal' });

    const violations = keelContract().violations({ ...liveness, body });

    expect(violations).to.have.lengthOf(1);
    expect(violations[0]).to.include('GET /health → 200').and.to.include('additional properties ("hostname")');
  });

  it('reports a status the document does not name for the operation', () => {
    const violations = keelContract().violations({ ...liveness, status: 201 });

    expect(violations).to.deep.equal([
      'GET /health → 201: status 201 is not documented for GET /health (documented: 200, 400, 408, 413, 414, 415, 500, 503)',
    ]);
  });

  it('reports a content type the document does not name', () => {
    const violations = keelContract().violations({ ...liveness, headers: { ...liveness.headers, 'content-type': 'application/json' } });

    expect(violations).to.have.lengthOf(1);
    expect(violations[0]).to.include('Content-Type application/json is not documented');
  });

  it('reports a required header that is missing: Allow on a 405', () => {
    const violations = keelContract().violations({ ...methodNotAllowed, headers: withoutHeader(methodNotAllowed.headers, 'allow') });

    expect(violations).to.deep.equal(['POST /health → 405: the required header Allow is missing']);
  });

  it('reports a problem code the document does not give that status', () => {
    const body = JSON.stringify({ ...(JSON.parse(methodNotAllowed.body) as object), code: 'not_found' });

    const violations = keelContract().violations({ ...methodNotAllowed, body });

    expect(violations).to.have.lengthOf(1);
    expect(violations[0]).to.include('body/code must be equal to one of the allowed values');
  });

  it('reports a path the document does not list answered with anything but its errors', () => {
    const violations = keelContract().violations({ ...liveness, path: '/healthz' });

    expect(violations).to.have.lengthOf(1);
    expect(violations[0]).to.include('status 200 is not documented for a path the document does not list');
  });

  it('leaves a page’s own files to the page, and checks its errors as the document says (x-pages)', async () => {
    const app = contractChecked(appWithoutDatabase());
    const stylesheet = observed('GET', '/docs/swagger-ui.css', await request(app).get('/docs/swagger-ui.css'));
    const unknownFile = observed('GET', '/docs/missing.js', await request(app).get('/docs/missing.js'));
    const otherMethod = observed('DELETE', '/docs', await request(app).delete('/docs'));

    expect(stylesheet.status).to.equal(200);
    expect([unknownFile.status, otherMethod.status]).to.deep.equal([404, 405]);
    for (const response of [stylesheet, unknownFile, otherMethod]) expect(keelContract().violations(response)).to.deep.equal([]);
    expect(keelContract().violations({ ...unknownFile, body: '{}' })[0]).to.include('body does not match the document');
    expect(keelContract().violations({ ...stylesheet, status: 302 }), 'a page’s own answer').to.deep.equal([]);
    expect(keelContract().violations({ ...stylesheet, path: '/docsx' })[0]).to.include('a path the document does not list');
  });

  it('checks only the status and the headers of a HEAD response', () => {
    const headers = withoutHeader(liveness.headers, 'x-request-id');

    const withoutBody = keelContract().violations({ ...liveness, method: 'HEAD', body: '' });
    const withoutRequestId = keelContract().violations({ ...liveness, method: 'HEAD', body: '', headers });

    expect(withoutBody).to.deep.equal([]);
    expect(withoutRequestId).to.deep.equal(['HEAD /health → 200: the required header X-Request-Id is missing']);
  });

  it('records what an app wrapped by contractChecked sends, and reports its drift to the test hook', async () => {
    const drifting = express();
    drifting.get('/health', (_req, res) => {
      res
        .set({ 'X-Request-Id': 'abc-123', 'Cache-Control': 'no-store', 'Content-Type': 'application/health+json' })
        .send('{"status":"ok"}');
    });
    takeViolations();

    await request(contractChecked(drifting)).get('/health');
    const violations = takeViolations();

    expect(violations).to.have.lengthOf(1);
    expect(violations[0]).to.match(/^GET \/health → 200: the application\/health\+json body does not match the document: /);
  });

  it('records what httpRequest receives from a real server, and reports its drift to the test hook', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'X-Request-Id': 'abc-123', 'Cache-Control': 'max-age=60', 'Content-Type': 'application/health+json' });
      res.end(liveness.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    takeViolations();
    try {
      await httpRequest((server.address() as AddressInfo).port, '/health');
      const violations = takeViolations();

      expect(violations).to.have.lengthOf(1);
      expect(violations[0]).to.match(/^GET \/health → 200: header Cache-Control \("max-age=60"\) must be equal to constant/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

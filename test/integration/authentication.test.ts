import crypto from 'node:crypto';
import http from 'node:http';
import { expect } from 'chai';
import { Router } from 'express';
import { exportSPKI, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { z } from 'zod';
import { createApp } from '../../lib/keel/http';
import { verifierFor, type TokenVerifier } from '../../lib/keel/auth';
import { jsonResponse } from '../../lib/keel/http/openapi';
import { handle, operation } from '../../lib/keel/http/operation';
import { KEEL_ROUTES } from '../../lib/keel/endpoints';
import type { RouteEntry } from '../../lib/keel/http';
import { createLogger, type Logger } from '../../config/logger';
import { readPackageInfo } from '../../config/project';
import type { Database } from '../../lib/keel/db';
import { contractChecked, servingLifecycle, silentLogger, testConfig, testDatabase, SERVICE } from '../support/app';
import { startIdentityProvider, type IdentityProvider } from '../support/identity-provider';
import { listenOnLoopback } from '../support/http';
import { captureLog } from '../support/log-capture';
import { exchange } from '../support/raw-http';
import { TEST_AUDIENCE } from '../support/resource-app';

const TENANT = '0190a000-0000-7000-8000-00000000000a';
const Settings = z.object({ tenant: z.string().nullable(), user: z.string().nullable() }).meta({ id: 'WhoamiSettings' });

const whoami = operation({
  method: 'get',
  path: '/',
  operationId: 'getWhoami',
  summary: 'The settings the caller’s unit of work carries',
  tags: ['whoami'],
  responses: { 200: jsonResponse('The settings.', Settings) },
});
const changeWhoami = operation({
  method: 'post',
  path: '/',
  operationId: 'changeWhoami',
  summary: 'A write that needs the whoami:write scope',
  tags: ['whoami'],
  responses: { 201: jsonResponse('The settings.', Settings) },
});

/** One route table entry whose reads need a caller and whose writes need a scope; each handler sends SQL. */
function whoamiRoutes(database: Database): readonly RouteEntry[] {
  const settings = () =>
    database.sequelize
      .query<z.infer<typeof Settings>>(
        "SELECT nullif(current_setting('app.tenant_id', true), '') AS tenant, nullif(current_setting('app.user_id', true), '') AS user",
        { type: QueryTypes.SELECT, plain: true },
      )
      .then((row) => row as z.infer<typeof Settings>);
  return [
    ...KEEL_ROUTES,
    {
      path: '/whoami',
      operations: [whoami, changeWhoami],
      access: { write: ['whoami:write'] },
      router: ({ unitOfWork }) => {
        const router = Router();
        handle(router, whoami, async (req, res) => {
          res.json(await unitOfWork(req, settings));
        });
        handle(router, changeWhoami, async (req, res) => {
          res.status(201).json(await unitOfWork(req, settings));
        });
        return router;
      },
    },
  ];
}

/** The whoami service, as bin/www builds one: its tokens verified against the provider through discovery. */
async function whoamiService(provider: IdentityProvider, database: Database, logger: Logger = silentLogger()) {
  const config = testConfig({ AUTH_ISSUER: provider.issuer, AUTH_AUDIENCE: TEST_AUDIENCE });
  const auth = (await verifierFor(config.auth, silentLogger())) as TokenVerifier;
  const routes = whoamiRoutes(database);
  const version = readPackageInfo().version;
  const app = contractChecked(
    createApp({ ...SERVICE, config, logger, database, lifecycle: servingLifecycle(), version, routes, auth }),
    routes,
  );
  return { auth, app };
}

describe('who is calling: bearer tokens on a route that needs a caller', function () {
  this.timeout(30_000);
  let provider: IdentityProvider;
  let database: Database;
  let auth: TokenVerifier;
  let statements = 0;
  const log = captureLog();
  let app: ReturnType<typeof createApp>;

  before(async () => {
    provider = await startIdentityProvider({ audience: TEST_AUDIENCE });
    database = testDatabase();
    database.sequelize.addHook('beforeQuery', () => {
      statements += 1;
    });
    ({ auth, app } = await whoamiService(provider, database, createLogger({ env: 'production', logLevel: 'info' }, log.stream)));
    await auth.keys.refresh();
  });

  after(async () => {
    auth?.keys.close();
    await provider?.close();
    await database?.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  /** The statements sent while act runs. */
  async function sqlDuring<T>(act: () => Promise<T>): Promise<{ result: T; sent: number }> {
    const before = statements;
    const result = await act();
    return { result, sent: statements - before };
  }

  describe('a valid token', () => {
    it('answers with the caller’s user and tenant as the unit of work’s settings', async () => {
      const token = await provider.sign({ sub: 'alice', tenant_id: TENANT });

      const res = await request(app).get('/whoami').set(bearer(token));

      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ tenant: TENANT, user: 'alice' });
    });

    it('writes the user id on the access log line, and never the token', async () => {
      const token = await provider.sign({ sub: 'carol-logged' });

      await request(app).get('/whoami').set(bearer(token));

      const line = (await log.entries()).find((entry) => entry.message === 'request' && entry.user === 'carol-logged');
      expect(line, 'an access line with the user').to.include({ route: '/whoami', status: 200 });
      expect(await log.text()).not.to.include(token.split('.')[2]);
    });
  });

  describe('no usable token', () => {
    it('answers 401 unauthorized with a Bearer challenge without an Authorization header, and sends no SQL', async () => {
      const { result: res, sent } = await sqlDuring(() => request(app).get('/whoami'));

      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.equal('Bearer realm="keel"');
      expect(res.headers['content-type']).to.equal('application/problem+json; charset=utf-8');
      expect(res.body).to.include({ code: 'unauthorized', status: 401 });
      expect(sent).to.equal(0);
    });

    it('answers 401 unauthorized to another scheme (Basic)', async () => {
      const res = await request(app).get('/whoami').set('Authorization', 'Basic YWxpY2U6c2VjcmV0');

      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal('unauthorized');
    });

    it('answers 400 invalid_authorization to a token in the query string, and never reads it', async () => {
      const token = await provider.sign({ sub: 'alice' });

      const { result: res, sent } = await sqlDuring(() => request(app).get(`/whoami?access_token=${token}`));

      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('invalid_authorization');
      expect(res.text).not.to.include(token);
      expect(sent).to.equal(0);
    });

    it('answers 400 invalid_authorization to two Authorization headers, even when both are valid', async () => {
      const token = await provider.sign({ sub: 'alice' });
      const server = http.createServer(app);
      const port = await listenOnLoopback(server);
      try {
        const twice = `Authorization: Bearer ${token}\r\n`.repeat(2);

        const { responses } = await exchange(port, `GET /whoami HTTP/1.1\r\nHost: x\r\n${twice}Connection: close\r\n\r\n`);

        const [res] = responses;
        expect(res?.status).to.equal(400);
        expect(JSON.parse(res?.body ?? '{}').code).to.equal('invalid_authorization');
        expect(res?.headers['www-authenticate']).to.include('error="invalid_request"');
      } finally {
        server.close();
      }
    });
  });

  describe('a hostile token', () => {
    const cases: ReadonlyArray<readonly [string, (p: IdentityProvider) => Promise<string>]> = [
      ['alg none', async (p) => new UnsecuredJWT(claimsOf(p)).encode()],
      [
        'HS256 signed with the provider’s public key as the secret',
        async (p) =>
          new SignJWT(claimsOf(p))
            .setProtectedHeader({ alg: 'HS256', kid: p.currentKey.kid })
            .sign(new TextEncoder().encode(await exportSPKI(p.currentKey.publicKey))),
      ],
      ['another issuer', (p) => p.sign({ sub: 'mallory', iss: 'https://evil.example.com/' })],
      ['another audience', (p) => p.sign({ sub: 'mallory', aud: 'another-service' })],
      ['expired beyond the clock tolerance', (p) => p.sign({ sub: 'mallory', exp: Math.floor(Date.now() / 1000) - 31 - 5 })],
      ['not valid before a time to come', (p) => p.sign({ sub: 'mallory', nbf: Math.floor(Date.now() / 1000) + 3600 })],
      ['an unknown kid', (p) => p.sign({ sub: 'mallory' }, { kid: 'no-such-key' })],
      ['garbled base64', async () => 'eyJhbGciOiJSUzI1NiJ9.@@@.###'],
      ['an 8 KB token', (p) => p.sign({ sub: 'mallory', padding: 'x'.repeat(8 * 1024) })],
      ['a valid token with one signature byte flipped', async (p) => flipSignatureByte(await p.sign({ sub: 'mallory' }))],
    ];
    for (const [label, make] of cases) {
      it(`answers 401 invalid_token to ${label}, and sends no SQL`, async () => {
        const token = await make(provider);

        const { result: res, sent } = await sqlDuring(() => request(app).get('/whoami').set(bearer(token)));

        expect(res.status, res.text).to.equal(401);
        expect(res.body).to.include({ code: 'invalid_token', detail: 'The bearer token is not valid for this service.' });
        expect(res.headers['www-authenticate']).to.equal('Bearer realm="keel", error="invalid_token"');
        expect(sent).to.equal(0);
      });
    }

    it('answers 401 to a jku header pointing at another server, and never contacts it', async () => {
      const elsewhere = await startIdentityProvider({ audience: TEST_AUDIENCE });
      try {
        const token = await elsewhere.sign({ sub: 'mallory' }, { header: { jku: `${elsewhere.issuer}/jwks` } });

        const res = await request(app).get('/whoami').set(bearer(token));

        expect(res.status).to.equal(401);
        expect(elsewhere.totalRequests()).to.equal(0);
      } finally {
        await elsewhere.close();
      }
    });
  });

  describe('what the route table asks for', () => {
    it('answers 403 insufficient_scope to a write without its scope, naming the scope in the challenge', async () => {
      const token = await provider.sign({ sub: 'alice', scope: 'whoami:read' });

      const { result: res, sent } = await sqlDuring(() => request(app).post('/whoami').set(bearer(token)));

      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('insufficient_scope');
      expect(res.headers['www-authenticate']).to.equal('Bearer realm="keel", error="insufficient_scope", scope="whoami:write"');
      expect(sent).to.equal(0);
    });

    it('lets a write through with its scope, from scope or scp', async () => {
      const fromScope = await provider.sign({ sub: 'alice', scope: 'profile whoami:write' });
      const fromScp = await provider.sign({ sub: 'alice', scp: ['whoami:write'] });

      const statuses = [
        (await request(app).post('/whoami').set(bearer(fromScope))).status,
        (await request(app).post('/whoami').set(bearer(fromScp))).status,
      ];

      expect(statuses).to.deep.equal([201, 201]);
    });

    it('answers 403 invalid_identity to a tenant that is not a UUID, and sends no SQL', async () => {
      const token = await provider.sign({ sub: 'alice', tenant_id: 'acme' });

      const { result: res, sent } = await sqlDuring(() => request(app).get('/whoami').set(bearer(token)));

      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('invalid_identity');
      expect(sent).to.equal(0);
    });

    it('serves the public routes without reading any token', async () => {
      const res = await request(app).get('/health').set('Authorization', 'Bearer not-a-token');

      expect(res.status).to.equal(200);
    });
  });

  describe('the OpenAPI document', () => {
    it('declares the bearer scheme, each operation’s requirement and its 401 and 403', async () => {
      const res = await request(app).get('/openapi.json');

      const { components, paths } = res.body;
      expect(components.securitySchemes.bearerAuth).to.include({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
      expect(paths['/whoami'].get.security).to.deep.equal([{ bearerAuth: [] }]);
      expect(paths['/whoami'].post.security).to.deep.equal([{ bearerAuth: ['whoami:write'] }]);
      expect(paths['/whoami'].post.responses).to.include.keys('401', '403');
      expect(paths['/health'].get.security).to.deep.equal([]);
      expect(paths['/health'].get.responses).not.to.have.keys('401');
    });
  });
});

describe('who is calling: the identity provider unreachable', function () {
  this.timeout(30_000);
  let provider: IdentityProvider;
  let database: Database;
  let auth: TokenVerifier;
  let app: ReturnType<typeof createApp>;

  beforeEach(async () => {
    provider = await startIdentityProvider({ audience: TEST_AUDIENCE });
    database = testDatabase();
    ({ auth, app } = await whoamiService(provider, database));
  });

  afterEach(async () => {
    auth?.keys.close();
    await provider?.close();
    await database?.close();
  });

  it('answers 503 identity_provider_unavailable with Retry-After while no key was ever fetched, and readiness fails', async () => {
    provider.down();
    await auth.keys.refresh();
    const token = await provider.sign({ sub: 'alice' });

    const res = await request(app).get('/whoami').set('Authorization', `Bearer ${token}`);
    const ready = await request(app).get('/health/ready');

    expect(res.status).to.equal(503);
    expect(res.headers['retry-after']).to.equal('1');
    expect(res.body.code).to.equal('identity_provider_unavailable');
    expect(ready.status).to.equal(503);
    expect(ready.body).to.deep.include({ reason: 'identity_provider_unavailable', identityProvider: { status: 'fail', keys: 0 } });
  });

  it('verifies with the keys it fetched once the provider answers again', async () => {
    provider.down();
    await auth.keys.refresh();
    provider.up();
    await auth.keys.refresh();
    const token = await provider.sign({ sub: 'alice' });

    const res = await request(app).get('/whoami').set('Authorization', `Bearer ${token}`);

    expect(res.status).to.equal(200);
  });

  it('keeps verifying with the cached keys when the provider goes down, and readiness warns', async () => {
    await auth.keys.refresh();
    const token = await provider.sign({ sub: 'alice' });
    provider.down();
    await auth.keys.refresh();

    const res = await request(app).get('/whoami').set('Authorization', `Bearer ${token}`);
    const ready = await request(app).get('/health/ready');

    expect(res.status).to.equal(200);
    expect(ready.body.identityProvider.status).to.equal('warn');
    expect(ready.body.status).to.be.oneOf(['warn']);
  });
});

describe('who is calling: when no token is verified', function () {
  this.timeout(30_000);
  let database: Database;

  before(() => {
    database = testDatabase();
  });

  after(async () => {
    await database?.close();
  });

  const build = (auth: 'off' | undefined) => {
    const routes = whoamiRoutes(database);
    return createApp({
      ...SERVICE,
      config: testConfig(),
      logger: silentLogger(),
      database,
      lifecycle: servingLifecycle(),
      version: readPackageInfo().version,
      routes,
      ...(auth ? { auth } : {}),
    });
  };

  it('serves every route without a token when AUTH=off, with no caller and no settings', async () => {
    const app = build('off');

    const res = await request(app).post('/whoami');
    const document = await request(app).get('/openapi.json');

    expect(res.status).to.equal(201);
    expect(res.body).to.deep.equal({ tenant: null, user: null });
    expect(document.body.components.securitySchemes).not.to.have.property('bearerAuth');
    expect(document.body.paths['/whoami'].post.security).to.deep.equal([]);
  });

  it('answers 401 on a route that needs a caller when the app was built without a verifier, never serving it publicly', async () => {
    const app = build(undefined);

    const res = await request(app).get('/whoami').set('Authorization', 'Bearer a.b.c');

    expect(res.status).to.equal(401);
    expect(res.body.code).to.equal('invalid_token');
  });
});

/** The claims of a token the provider would issue, for a token signed some other way. */
function claimsOf(provider: IdentityProvider): JWTPayload {
  return { iss: provider.issuer, aud: provider.audience, sub: 'mallory', exp: Math.floor(Date.now() / 1000) + 300 };
}

/** A copy of the token whose signature differs in one byte (its base64url segment decoded, changed, encoded). */
function flipSignatureByte(token: string): string {
  const [header, payload, signature = ''] = token.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  const at = crypto.randomInt(bytes.length);
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at);
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

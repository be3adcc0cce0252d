import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** A signing key of a test provider (or of an attacker): its private half signs, publicJwk is what a JWKS lists. */
export interface TestKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

let keysMade = 0;

/** A new key pair for alg (RS256 by default), with a kid unique in this process unless one is given. */
export async function createTestKey(alg = 'RS256', kid = `test-key-${++keysMade}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

export interface TestSignOptions {
  /** The header's kid; the signing key's by default, none when given as undefined. */
  readonly kid?: string;
  /** The header's alg; the signing key's by default. */
  readonly alg?: string;
  /** More protected header fields (jku, jwk, …); a field set to undefined is left out. */
  readonly header?: Readonly<Record<string, unknown>>;
  /** exp is iat plus this; 300 by default. */
  readonly expiresInS?: number;
  /** Signs with this key instead of the provider's current one (which need not be published). */
  readonly key?: TestKey;
}

export interface IdentityProviderOptions {
  /** The aud of the tokens it signs; 'keel-test' by default. */
  readonly audience?: string;
  /** The alg of its first key; RS256 by default. */
  readonly alg?: string;
  /** The issuer its discovery document names, when it should differ from its own URL. */
  readonly advertisedIssuer?: string;
}

/** A canned answer for a path, instead of what the provider would serve. */
export interface CannedResponse {
  readonly status?: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A small OpenID provider on 127.0.0.1 for tests: discovery at /.well-known/openid-configuration (issuer = its
 * own base URL, jwks_uri = /jwks) and its key set, which it can rotate, and from which it can drop keys. It
 * counts the requests to each path, and misbehaves on command (down, slow, canned answers).
 */
export interface IdentityProvider {
  /** The base URL, http://127.0.0.1:<port>; also the issuer. */
  readonly url: string;
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly audience: string;
  /** The key sign() uses. */
  readonly currentKey: TestKey;
  /** The keys its JWKS publishes, oldest first. */
  readonly keys: readonly TestKey[];
  /** A JWT signed with the current key: iss, aud, sub 'test-user', iat and exp, then the given claims over them. */
  sign(claims?: JWTPayload, options?: TestSignOptions): Promise<string>;
  /** A new current key (alg of the current one by default), published next to the others. */
  rotate(alg?: string): Promise<TestKey>;
  /** Stops publishing the key with this kid. */
  drop(kid: string): void;
  /** Requests received for a path (such as '/jwks') since the start or resetCounts(). */
  requests(path: string): number;
  totalRequests(): number;
  resetCounts(): void;
  /** Answers every request 503 ('error'), or destroys its connection without an answer ('reset'). */
  down(how?: 'error' | 'reset'): void;
  up(): void;
  /** Holds every answer this many ms (0: answers at once). */
  slow(ms: number): void;
  /** Answers a path with this instead (undefined: serves it normally again). */
  respond(path: string, response: CannedResponse | undefined): void;
  /** Stops listening and ends every connection; a second call does nothing. */
  close(): Promise<void>;
}

export const DISCOVERY_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/jwks';

export async function startIdentityProvider(options: IdentityProviderOptions = {}): Promise<IdentityProvider> {
  const audience = options.audience ?? 'keel-test';
  let current = await createTestKey(options.alg ?? 'RS256');
  let published: TestKey[] = [current];
  const counts = new Map<string, number>();
  const canned = new Map<string, CannedResponse>();
  const held = new Set<NodeJS.Timeout>();
  let downMode: 'error' | 'reset' | undefined;
  let delayMs = 0;
  let url = '';

  function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? '/', url).pathname;
    const override = canned.get(path);
    if (override !== undefined) {
      res.writeHead(override.status ?? 200, { 'Content-Type': 'application/json', ...override.headers }).end(override.body);
    } else if (downMode === 'error') {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('down');
    } else if (path === DISCOVERY_PATH) {
      sendJson(res, {
        issuer: options.advertisedIssuer ?? url,
        jwks_uri: `${url}${JWKS_PATH}`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    } else if (path === JWKS_PATH) {
      sendJson(res, { keys: published.map((key) => key.publicJwk) });
    } else {
      res.writeHead(404).end();
    }
  }

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', url).pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (downMode === 'reset') {
      req.socket.destroy();
      return;
    }
    if (delayMs === 0) return answer(req, res);
    const timer = setTimeout(() => {
      held.delete(timer);
      answer(req, res);
    }, delayMs);
    held.add(timer);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    issuer: url,
    jwksUrl: `${url}${JWKS_PATH}`,
    audience,
    get currentKey() {
      return current;
    },
    get keys() {
      return published;
    },
    async sign(claims = {}, signOptions = {}) {
      const key = signOptions.key ?? current;
      const issuedAt = Math.floor(Date.now() / 1000);
      const payload = {
        iss: url,
        aud: audience,
        sub: 'test-user',
        iat: issuedAt,
        exp: issuedAt + (signOptions.expiresInS ?? 300),
        ...claims,
      };
      const header = { alg: signOptions.alg ?? key.alg, kid: 'kid' in signOptions ? signOptions.kid : key.kid, ...signOptions.header };
      return new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
    },
    async rotate(alg = current.alg) {
      current = await createTestKey(alg);
      published = [...published, current];
      return current;
    },
    drop(kid) {
      published = published.filter((key) => key.kid !== kid);
    },
    requests: (path) => counts.get(path) ?? 0,
    totalRequests: () => [...counts.values()].reduce((sum, count) => sum + count, 0),
    resetCounts: () => counts.clear(),
    down(how = 'error') {
      downMode = how;
    },
    up() {
      downMode = undefined;
    },
    slow(ms) {
      delayMs = ms;
    },
    respond(path, response) {
      if (response === undefined) canned.delete(path);
      else canned.set(path, response);
    },
    async close() {
      if (!server.listening) return;
      for (const timer of held) clearTimeout(timer);
      held.clear();
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

function sendJson(res: http.ServerResponse, body: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { errors, type CompactJWSHeaderParameters } from 'jose';
import { IdentityProviderUnavailableError } from '../../lib/keel/auth/errors';
import type { KeySource } from '../../lib/keel/auth/key-source';
import { remoteKeySet, type RemoteKeySetOptions } from '../../lib/keel/auth/remote-key-set';
import { MAX_PROVIDER_RESPONSE_BYTES } from '../../lib/keel/auth/provider-fetch';
import { createLogger } from '../../config/logger';
import {
  DISCOVERY_PATH,
  JWKS_PATH,
  startIdentityProvider,
  type IdentityProvider,
  type IdentityProviderOptions,
} from '../support/identity-provider';
import { captureLog, type LogCapture } from '../support/log-capture';

const START_MS = Date.UTC(2030, 0, 1);
const COOLDOWN_MS = 30_000;
const MAX_AGE_MS = 600_000;

const headerFor = (key: { kid: string; alg: string }): CompactJWSHeaderParameters => ({ alg: key.alg, kid: key.kid });

/** Waits for a condition the code under test reaches on its own (a background refresh), checking every 10 ms. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`still not ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('remoteKeySet', () => {
  let clock: number;
  let log: LogCapture;
  const providers: IdentityProvider[] = [];
  const keySets: KeySource[] = [];

  beforeEach(() => {
    clock = START_MS;
    log = captureLog();
  });

  afterEach(async () => {
    for (const keys of keySets.splice(0)) keys.close();
    await Promise.all(providers.splice(0).map((provider) => provider.close()));
  });

  // ES256 unless a test needs RS256: its keys are made in a millisecond, RSA's in tens of them.
  async function startProvider(options: IdentityProviderOptions = {}): Promise<IdentityProvider> {
    const provider = await startIdentityProvider({ alg: 'ES256', ...options });
    providers.push(provider);
    return provider;
  }

  function keySetFor(provider: Pick<IdentityProvider, 'issuer'>, options: Partial<RemoteKeySetOptions> = {}): KeySource {
    const keys = remoteKeySet({
      issuer: provider.issuer,
      logger: createLogger({ env: 'production', logLevel: 'debug' }, log.stream),
      cooldownMs: COOLDOWN_MS,
      maxAgeMs: MAX_AGE_MS,
      now: () => clock,
      ...options,
    });
    keySets.push(keys);
    return keys;
  }

  const linesAt = async (level: string): Promise<Record<string, unknown>[]> =>
    (await log.entries()).filter((entry) => entry.level === level);

  describe('discovery', () => {
    it("finds the key set through the issuer's discovery document and holds its keys", async () => {
      const provider = await startProvider({ alg: 'RS256' });
      const keys = keySetFor(provider);

      const { getKey } = keys; // jwtVerify may be handed it unbound

      await keys.refresh();
      const key = await getKey(headerFor(provider.currentKey));

      expect(key.type).to.equal('public');
      expect(keys.status()).to.deep.equal({ status: 'pass', keys: 1, fetchedAt: new Date(START_MS).toISOString() });
      expect(provider.requests(DISCOVERY_PATH)).to.equal(1);
      expect(provider.requests(JWKS_PATH)).to.equal(1);
    });

    it('asks discovery for an issuer with a trailing slash without doubling it', async () => {
      const provider = await startProvider();
      const issuer = `${provider.issuer}/`;
      provider.respond(DISCOVERY_PATH, { body: JSON.stringify({ issuer, jwks_uri: provider.jwksUrl }) });
      const keys = keySetFor(provider, { issuer });

      await keys.refresh();

      expect(keys.status().status).to.equal('pass');
    });

    it('fetches the key set from jwksUrl without discovery when it is given', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider, { jwksUrl: provider.jwksUrl });

      await keys.refresh();

      expect(keys.status().status).to.equal('pass');
      expect(provider.requests(DISCOVERY_PATH)).to.equal(0);
    });

    it('holds no keys when the discovery document names another issuer (OIDC Discovery 4.3)', async () => {
      const provider = await startProvider({ advertisedIssuer: 'https://elsewhere.example' });
      const keys = keySetFor(provider);

      await keys.refresh();
      const error = await rejectionOf(keys.getKey(headerFor(provider.currentKey)));

      expect(error).to.be.instanceOf(IdentityProviderUnavailableError);
      expect(keys.status()).to.include({ status: 'fail', keys: 0 });
      expect(provider.requests(JWKS_PATH)).to.equal(0);
      expect(await linesAt('warn'))
        .to.have.lengthOf(1)
        .and.to.have.nested.property('[0].reason', 'issuer_mismatch');
    });

    it('does not fetch a jwks_uri on plain http off loopback', async () => {
      const provider = await startProvider();
      provider.respond(DISCOVERY_PATH, { body: JSON.stringify({ issuer: provider.issuer, jwks_uri: 'http://192.0.2.1/jwks' }) });
      const keys = keySetFor(provider);

      await keys.refresh();

      expect(keys.status().status).to.equal('fail');
      expect(await linesAt('warn')).to.have.nested.property('[0].reason', 'url_not_allowed');
    });

    it('does not follow a redirect', async () => {
      const provider = await startProvider();
      const elsewhere = await startProvider();
      provider.respond(JWKS_PATH, { status: 302, body: '', headers: { Location: elsewhere.jwksUrl } });
      const keys = keySetFor(provider);

      await keys.refresh();

      expect(keys.status().status).to.equal('fail');
      expect(elsewhere.totalRequests()).to.equal(0);
      expect(await linesAt('warn')).to.have.nested.property('[0].reason', 'redirect');
    });
  });

  describe('what it keeps', () => {
    it('keeps only public signature keys: no encryption, secret or private keys, no RSA key under 2048 bits', async () => {
      const provider = await startProvider();
      // RSA public keys by their shape: the filter reads kty, use, key_ops and the length of n, and imports nothing.
      const rsa = (bits: number, fields: Record<string, unknown> = {}): Record<string, unknown> => ({
        kty: 'RSA',
        n: randomBytes(bits / 8).toString('base64url'),
        e: 'AQAB',
        ...fields,
      });
      const published = [
        provider.currentKey.publicJwk,
        rsa(2048, { kid: 'rsa-2048', use: 'sig' }),
        rsa(1024, { kid: 'rsa-1024' }),
        rsa(2048, { kid: 'encryption', use: 'enc' }),
        { kty: 'oct', kid: 'secret', k: 'c2VjcmV0' },
        { ...provider.currentKey.publicJwk, kid: 'private', d: 'AAAA' },
        { ...provider.currentKey.publicJwk, kid: 'no-verify', key_ops: ['encrypt'] },
        { kty: 'unknown', kid: 'unknown' },
        'not a key',
      ];
      provider.respond(JWKS_PATH, { body: JSON.stringify({ keys: published }) });
      const keys = keySetFor(provider);

      await keys.refresh();

      expect(keys.status()).to.include({ status: 'pass', keys: 2 });
    });

    it('refuses a key set without a single signature key, keeping the keys it holds', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider, { jwksUrl: provider.jwksUrl });
      await keys.refresh();

      provider.respond(JWKS_PATH, { body: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }) });
      await keys.refresh();

      expect(keys.status()).to.include({ status: 'warn', keys: 1 });
      expect(await linesAt('warn')).to.have.nested.property('[0].reason', 'no_signing_keys');
    });

    it(`refuses a key set larger than ${MAX_PROVIDER_RESPONSE_BYTES / 1024} KiB, whether it declares its length or not`, async () => {
      const provider = await startProvider();
      const body = JSON.stringify({ keys: [provider.currentKey.publicJwk], padding: 'x'.repeat(MAX_PROVIDER_RESPONSE_BYTES) });
      const keys = keySetFor(provider, { jwksUrl: provider.jwksUrl });

      provider.respond(JWKS_PATH, { body });
      await keys.refresh();
      provider.respond(JWKS_PATH, { body, headers: { 'Transfer-Encoding': 'chunked' } });
      await keys.refresh();

      expect(keys.status().status).to.equal('fail');
      expect(provider.requests(JWKS_PATH)).to.equal(2);
      expect((await linesAt('warn')).map((line) => line.reason)).to.deep.equal(['too_large']);
    });

    it('reports a key set that is not JSON, or has no keys array, as a failed fetch', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider, { jwksUrl: provider.jwksUrl, cooldownMs: 0 });

      provider.respond(JWKS_PATH, { body: '<html>' });
      await keys.refresh();
      provider.respond(JWKS_PATH, { body: '{"keys":"none"}' });
      await keys.refresh();

      expect(keys.status().status).to.equal('fail');
      expect((await linesAt('warn')).map((line) => line.reason)).to.deep.equal(['not_json', 'invalid_key_set']);
    });
  });

  describe('an unknown kid', () => {
    it('is looked for in a new fetch only once the cooldown since the last fetch has passed', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider);
      await keys.refresh();
      const rotated = await provider.rotate();

      const withinCooldown = await rejectionOf(keys.getKey(headerFor(rotated)));
      const fetchesWithinCooldown = provider.requests(JWKS_PATH);
      clock += COOLDOWN_MS;
      const key = await keys.getKey(headerFor(rotated));

      expect(withinCooldown).to.be.instanceOf(errors.JWKSNoMatchingKey);
      expect(fetchesWithinCooldown).to.equal(1);
      expect(key.type).to.equal('public');
      expect(provider.requests(JWKS_PATH)).to.equal(2);
    });

    it('shares one fetch among concurrent misses', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider);
      await keys.refresh();
      clock += COOLDOWN_MS;
      provider.resetCounts();

      const misses = Array.from({ length: 100 }, (_, index) => rejectionOf(keys.getKey({ alg: 'ES256', kid: `unknown-${index}` })));
      const outcomes = await Promise.all(misses);

      expect(outcomes.every((error) => error instanceof errors.JWKSNoMatchingKey)).to.equal(true);
      expect(provider.requests(JWKS_PATH)).to.equal(1);
    });
  });

  describe('when the provider fails', () => {
    it('answers IdentityProviderUnavailableError and reports fail when the provider is down at boot', async () => {
      const provider = await startProvider();
      provider.down();
      const keys = keySetFor(provider);

      await keys.refresh();
      const error = await rejectionOf(keys.getKey(headerFor(provider.currentKey)));

      expect(error).to.be.instanceOf(IdentityProviderUnavailableError);
      expect(keys.status()).to.deep.equal({
        status: 'fail',
        keys: 0,
        output: 'The identity provider cannot be reached; no token can be verified.',
      });
      const [line] = await linesAt('warn');
      expect(line).to.include({ reason: 'status', status: 503 });
    });

    it('reports fail before the first fetch', () => {
      const keys = keySetFor({ issuer: 'https://login.example.com' });

      expect(keys.status()).to.include({ status: 'fail', keys: 0 });
    });

    it('fetches at boot on first use when refresh was not awaited, and waits for that fetch', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider);

      void keys.refresh();
      const key = await keys.getKey(headerFor(provider.currentKey));

      expect(key.type).to.equal('public');
      expect(provider.requests(JWKS_PATH)).to.equal(1);
    });

    it('tries a provider that was down at boot again once the cooldown has passed', async () => {
      const provider = await startProvider();
      provider.down('reset');
      const keys = keySetFor(provider);
      await keys.refresh();

      provider.up();
      const withinCooldown = await rejectionOf(keys.getKey(headerFor(provider.currentKey)));
      clock += COOLDOWN_MS;
      const key = await keys.getKey(headerFor(provider.currentKey));

      expect(withinCooldown).to.be.instanceOf(IdentityProviderUnavailableError);
      expect(key.type).to.equal('public');
      expect(keys.status().status).to.equal('pass');
      expect(await linesAt('warn')).to.have.nested.property('[0].reason', 'unreachable');
      expect(await linesAt('info')).to.have.lengthOf(1);
    });

    it('names the network error when nothing listens at the provider', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider);
      await provider.close();

      await keys.refresh();

      const [line] = await linesAt('warn');
      expect(line).to.include({ reason: 'unreachable', networkCode: 'ECONNREFUSED' });
    });

    it('gives up on a provider slower than the fetch timeout', async () => {
      const provider = await startProvider();
      provider.slow(60_000);
      const keys = keySetFor(provider, { fetchTimeoutMs: 100 });

      await keys.refresh();

      expect(keys.status().status).to.equal('fail');
      expect(await linesAt('warn')).to.have.nested.property('[0].reason', 'timeout');
    });

    it('keeps verifying with the keys it holds when the provider goes down, reports warn, and logs one warn line', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider);
      await keys.refresh();
      provider.down();

      clock += MAX_AGE_MS;
      const resolved = [];
      for (let request = 0; request < 50; request++) {
        resolved.push(await keys.getKey(headerFor(provider.currentKey)));
        await keys.refresh(); // what a background refresh would do, at once
        clock += 100;
      }

      expect(resolved.every((key) => key.type === 'public')).to.equal(true);
      expect(keys.status()).to.deep.equal({
        status: 'warn',
        keys: 1,
        fetchedAt: new Date(START_MS).toISOString(),
        output: 'The identity provider cannot be reached; cached keys still verify.',
      });
      expect(provider.totalRequests()).to.be.greaterThan(10);
      expect(await linesAt('warn')).to.have.lengthOf(1);
    });

    it('refreshes stale keys in the background on use, at most once per cooldown while the provider is down', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider);
      await keys.refresh();
      provider.down();

      clock += MAX_AGE_MS;
      await keys.getKey(headerFor(provider.currentKey));
      await eventually(() => keys.status().status === 'warn', 'warn');
      for (let request = 0; request < 20; request++) await keys.getKey(headerFor(provider.currentKey));
      const requestsWithinCooldown = provider.totalRequests();
      clock += COOLDOWN_MS;
      await keys.getKey(headerFor(provider.currentKey));
      await eventually(() => provider.totalRequests() === 4, 'asked again');

      // Discovery and the key set at first, the key set once it was stale, then (its URL forgotten) discovery again.
      expect(requestsWithinCooldown).to.equal(3);
      expect(provider.requests(DISCOVERY_PATH)).to.equal(2);
    });

    it('logs one info line when the provider answers again after a failure', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider);
      await keys.refresh();
      provider.down();
      await keys.refresh();

      provider.up();
      await keys.refresh();
      await keys.refresh();

      expect(keys.status().status).to.equal('pass');
      expect(await linesAt('info')).to.have.lengthOf(1);
    });

    it('stops verifying with a key the provider dropped, from the next successful fetch on', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider);
      await keys.refresh();
      const revoked = provider.currentKey;
      await provider.rotate();
      provider.drop(revoked.kid);
      const versionBefore = keys.version;

      const beforeFetch = await keys.getKey(headerFor(revoked));
      await keys.refresh();
      const afterFetch = await rejectionOf(keys.getKey(headerFor(revoked)));

      expect(beforeFetch.type).to.equal('public');
      expect(afterFetch).to.be.instanceOf(errors.JWKSNoMatchingKey);
      expect(keys.version).to.not.equal(versionBefore);
    });

    it('keeps its version when a fetch brings the same keys', async () => {
      const provider = await startProvider();
      const keys = keySetFor(provider);
      await keys.refresh();
      const version = keys.version;

      await keys.refresh();

      expect(keys.version).to.equal(version);
    });
  });

  describe('close', () => {
    it('aborts a fetch in flight without a warning, and fetches nothing afterwards', async () => {
      const provider = await startProvider();
      provider.slow(60_000);
      const keys = keySetFor(provider);
      const refreshing = keys.refresh();
      await eventually(() => provider.requests(DISCOVERY_PATH) === 1, 'asked');

      keys.close();
      await refreshing;
      await keys.refresh();

      expect(provider.totalRequests()).to.equal(1);
      expect(await linesAt('warn')).to.have.lengthOf(0);
    });
  });
});

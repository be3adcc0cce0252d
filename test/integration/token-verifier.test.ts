import { expect } from 'chai';
import { CompactSign, decodeProtectedHeader, exportSPKI, importPKCS8, SignJWT, UnsecuredJWT } from 'jose';
import { IdentityProviderUnavailableError, InvalidTokenError, type InvalidTokenReason } from '../../lib/keel/auth/errors';
import type { KeySource } from '../../lib/keel/auth/key-source';
import { remoteKeySet } from '../../lib/keel/auth/remote-key-set';
import { createVerifier, MAX_TOKEN_LENGTH, type TokenVerifier, type VerifierOptions } from '../../lib/keel/auth/verifier';
import { createLogger, type Logger } from '../../config/logger';
import { certificateAuthority } from '../support/certificates';
import { createTestKey, JWKS_PATH, startIdentityProvider, type IdentityProvider, type TestKey } from '../support/identity-provider';
import { captureLog } from '../support/log-capture';

/** What the configuration allows by default: no none, no HS*. */
const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const TOLERANCE_S = 60;
const COOLDOWN_MS = 30_000;
const MAX_AGE_MS = 600_000;

const silent = (): Logger => createLogger({ env: 'test', logLevel: 'silent' });

async function outcomeOf(verification: Promise<unknown>): Promise<unknown> {
  return verification.then(
    () => 'accepted',
    (error: unknown) => error,
  );
}

/** The reason a verification was refused for; fails unless it was refused as invalid_token (a 401, never a 500). */
async function refusalOf(verification: Promise<unknown>): Promise<InvalidTokenReason> {
  const outcome = await outcomeOf(verification);
  expect(outcome, 'the verification did not end in InvalidTokenError').to.be.instanceOf(InvalidTokenError);
  expect(outcome).to.include({ status: 401, code: 'invalid_token' });
  return (outcome as InvalidTokenError).reason;
}

describe('a token verifier on a remote identity provider', () => {
  let clock: number;
  const nowS = (): number => Math.floor(clock / 1000);
  const keySets: KeySource[] = [];
  const providers: IdentityProvider[] = [];

  async function startProvider(alg = 'RS256'): Promise<IdentityProvider> {
    const provider = await startIdentityProvider({ alg });
    providers.push(provider);
    return provider;
  }

  /** A verifier of the provider's tokens, on a fresh key set that has fetched (or tried to fetch) its keys. */
  async function verifierFor(
    provider: IdentityProvider,
    options: Partial<VerifierOptions> & { logger?: Logger } = {},
  ): Promise<TokenVerifier> {
    const keys = remoteKeySet({
      issuer: provider.issuer,
      logger: options.logger ?? silent(),
      cooldownMs: COOLDOWN_MS,
      maxAgeMs: MAX_AGE_MS,
      now: () => clock,
    });
    keySets.push(keys);
    await keys.refresh();
    return createVerifier({
      keys,
      issuer: provider.issuer,
      audience: [provider.audience],
      algorithms: ALGORITHMS,
      clockToleranceS: TOLERANCE_S,
      userClaim: 'sub',
      tenantClaim: 'tenant_id',
      now: () => clock,
      ...options,
    });
  }

  beforeEach(() => {
    clock = Date.now();
  });

  afterEach(() => {
    for (const keys of keySets.splice(0)) keys.close();
  });

  after(async () => {
    await Promise.all(providers.splice(0).map((provider) => provider.close()));
  });

  describe('the hostile table', () => {
    let provider: IdentityProvider;
    /** Another server: where a jku or x5u header points. It records being contacted. */
    let attacker: IdentityProvider;
    let verifier: TokenVerifier;

    before(async () => {
      [provider, attacker] = await Promise.all([startProvider(), startProvider()]);
    });

    beforeEach(async () => {
      verifier = await verifierFor(provider);
      provider.resetCounts();
      attacker.resetCounts();
    });

    const claimsFor = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      iss: provider.issuer,
      aud: provider.audience,
      sub: 'mallory',
      exp: nowS() + 300,
      ...extra,
    });

    it('accepts a valid token (the baseline every other row departs from)', async () => {
      const caller = await verifier.verify(await provider.sign({ tenant_id: 'acme' }));

      expect(caller).to.include({ user: 'test-user', tenant: 'acme' });
    });

    it('refuses alg none (algorithm)', async () => {
      const token = new UnsecuredJWT(claimsFor()).encode();

      expect(await refusalOf(verifier.verify(token))).to.equal('algorithm');
    });

    it("refuses HS256 signed with the RSA public key's bytes as the HMAC secret (algorithm)", async () => {
      const publicKeyPem = await exportSPKI(provider.currentKey.publicKey);
      const token = await new SignJWT(claimsFor())
        .setProtectedHeader({ alg: 'HS256', kid: provider.currentKey.kid })
        .sign(new TextEncoder().encode(publicKeyPem));

      expect(await refusalOf(verifier.verify(token))).to.equal('algorithm');
    });

    it('refuses a token from another issuer (issuer)', async () => {
      expect(await refusalOf(verifier.verify(await provider.sign({ iss: 'https://evil.example' })))).to.equal('issuer');
    });

    it('refuses a token without an issuer (issuer)', async () => {
      expect(await refusalOf(verifier.verify(await provider.sign({ iss: undefined })))).to.equal('issuer');
    });

    it('refuses a token for another audience (audience)', async () => {
      expect(await refusalOf(verifier.verify(await provider.sign({ aud: 'someone-else' })))).to.equal('audience');
    });

    it('refuses a token without exp (claims)', async () => {
      expect(await refusalOf(verifier.verify(await provider.sign({ exp: undefined })))).to.equal('claims');
    });

    it('refuses a token without a user claim (claims)', async () => {
      expect(await refusalOf(verifier.verify(await provider.sign({ sub: undefined })))).to.equal('claims');
    });

    it(`refuses a token expired beyond the ${TOLERANCE_S} s tolerance (expired), and accepts one expired within it`, async () => {
      const beyond = await provider.sign({ exp: nowS() - TOLERANCE_S - 1 });
      const within = await provider.sign({ exp: nowS() - TOLERANCE_S + 1 });

      expect(await refusalOf(verifier.verify(beyond))).to.equal('expired');
      expect((await verifier.verify(within)).user).to.equal('test-user');
    });

    it('accepts a token up to the last millisecond before exp plus the tolerance, and refuses it from then on', async () => {
      const uncached = await verifierFor(provider, { cacheEntries: 0 });
      const exp = nowS();
      const token = await provider.sign({ exp });

      clock = (exp + TOLERANCE_S) * 1000 - 1;
      const lastAccepted = await outcomeOf(uncached.verify(token));
      clock = (exp + TOLERANCE_S) * 1000;
      const firstRefused = await refusalOf(uncached.verify(token));

      expect(lastAccepted).to.equal('accepted');
      expect(firstRefused).to.equal('expired');
    });

    it('refuses nbf beyond the tolerance in the future (not_yet_valid), and accepts it exactly at the tolerance', async () => {
      const tooEarly = await provider.sign({ nbf: nowS() + TOLERANCE_S + 1 });
      const atTolerance = await provider.sign({ nbf: nowS() + TOLERANCE_S });

      expect(await refusalOf(verifier.verify(tooEarly))).to.equal('not_yet_valid');
      expect(await outcomeOf(verifier.verify(atTolerance))).to.equal('accepted');
    });

    it('refuses a kid the key set does not have (unknown_key)', async () => {
      const token = await attacker.sign(claimsFor());

      expect(await refusalOf(verifier.verify(token))).to.equal('unknown_key');
    });

    const garbled = [
      ['characters outside base64url', 'eyJhbGciOiJSUzI1NiJ9.e30$.c2lnbmF0dXJl'],
      ['padding', 'eyJhbGciOiJSUzI1NiJ9.e30=.c2lnbmF0dXJl'],
      ['a header that is not JSON', `${Buffer.from('not json').toString('base64url')}.e30.c2lnbmF0dXJl`],
      ['two segments', 'eyJhbGciOiJSUzI1NiJ9.e30'],
    ] as const;
    for (const [label, token] of garbled) {
      it(`refuses garbled base64: ${label} (malformed)`, async () => {
        expect(await refusalOf(verifier.verify(token))).to.equal('malformed');
      });
    }

    it('refuses a payload that is not JSON under a valid signature (malformed)', async () => {
      const valid = await provider.sign();
      const [header] = valid.split('.');
      const token = await new CompactSign(new TextEncoder().encode('not json'))
        .setProtectedHeader(JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as { alg: string })
        .sign(provider.currentKey.privateKey);

      expect(await refusalOf(verifier.verify(token))).to.equal('malformed');
    });

    for (const header of ['jku', 'x5u'] as const) {
      it(`never contacts the server a ${header} header points at, and asks only its own provider (unknown_key)`, async () => {
        const token = await attacker.sign(claimsFor(), { header: { [header]: attacker.jwksUrl } });
        clock += COOLDOWN_MS;

        const reason = await refusalOf(verifier.verify(token));

        expect(reason).to.equal('unknown_key');
        expect(attacker.totalRequests()).to.equal(0);
        expect(provider.requests(JWKS_PATH)).to.equal(1);
      });
    }

    it('refuses a token signed by the key of the certificate in its x5c header (unknown_key)', async () => {
      const { key, cert } = await certificateAuthority('attacker');
      const der = cert.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
      const token = await new SignJWT(claimsFor()).setProtectedHeader({ alg: 'ES256', x5c: [der] }).sign(await importPKCS8(key, 'ES256'));

      expect(await refusalOf(verifier.verify(token))).to.equal('unknown_key');
    });

    it("refuses a token signed by the attacker's key embedded in its jwk header (signature)", async () => {
      const token = await attacker.sign(claimsFor(), {
        kid: undefined,
        header: { jwk: { ...attacker.currentKey.publicJwk, kid: undefined } },
      });

      const header = decodeProtectedHeader(token);

      expect(header).to.have.property('jwk');
      expect(header).to.not.have.property('kid');
      expect(await refusalOf(verifier.verify(token))).to.equal('signature');
    });

    it('refuses a valid token with one signature byte flipped (signature)', async () => {
      const [header, payload, signature] = (await provider.sign()).split('.');
      const bytes = Buffer.from(signature ?? '', 'base64url');
      bytes[10] = (bytes[10] ?? 0) ^ 0x01;
      const token = `${header}.${payload}.${bytes.toString('base64url')}`;

      expect(await refusalOf(verifier.verify(token))).to.equal('signature');
    });

    it(`refuses a validly signed token over ${MAX_TOKEN_LENGTH} characters (too_large), and accepts one just under`, async () => {
      const padded = (length: number): Promise<string> => provider.sign({ pad: 'x'.repeat(length) });
      // The longest padding whose token still fits: a binary search over the claim's length.
      let fits = 0;
      let overflows = MAX_TOKEN_LENGTH;
      while (overflows - fits > 1) {
        const middle = Math.floor((fits + overflows) / 2);
        if ((await padded(middle)).length <= MAX_TOKEN_LENGTH) fits = middle;
        else overflows = middle;
      }
      const under = await padded(fits);
      const over = await padded(overflows);

      expect(under.length).to.be.within(MAX_TOKEN_LENGTH - 2, MAX_TOKEN_LENGTH);
      expect(over.length).to.be.greaterThan(MAX_TOKEN_LENGTH);
      expect(await refusalOf(verifier.verify(over))).to.equal('too_large');
      expect((await verifier.verify(under)).user).to.equal('test-user');
    });

    it('fetches the key set once for 1,000 concurrent tokens with distinct unknown kids, and refuses them all', async () => {
      const stranger = await createTestKey('ES256');
      const tokens = await Promise.all(
        Array.from({ length: 1_000 }, (_, index) => provider.sign({}, { key: stranger, kid: `unknown-${index}` })),
      );
      clock += COOLDOWN_MS;

      const reasons = await Promise.all(tokens.map((token) => refusalOf(verifier.verify(token))));

      expect(new Set(reasons)).to.deep.equal(new Set(['unknown_key']));
      expect(provider.requests(JWKS_PATH)).to.equal(1);
    });
  });

  describe('with a provider that rotates its keys', () => {
    let provider: IdentityProvider;
    let verifier: TokenVerifier;
    let first: TestKey;

    beforeEach(async () => {
      // ES256 where RSA is not the point: its keys are made in a millisecond, RSA's in tens of them.
      provider = await startProvider('ES256');
      first = provider.currentKey;
      verifier = await verifierFor(provider);
    });

    it('accepts the new key once the cooldown since the last fetch allows a fetch', async () => {
      await verifier.verify(await provider.sign());
      await provider.rotate();
      const token = await provider.sign();

      const withinCooldown = await refusalOf(verifier.verify(token));
      clock += COOLDOWN_MS;
      const caller = await verifier.verify(token);

      expect(withinCooldown).to.equal('unknown_key');
      expect(caller.user).to.equal('test-user');
      expect((await verifier.verify(await provider.sign({}, { key: first }))).user).to.equal('test-user');
    });

    it('refuses a token without a kid once two keys could have signed it (ambiguous_key)', async () => {
      await provider.rotate();
      clock += COOLDOWN_MS;
      await verifier.keys.refresh();

      const token = await provider.sign({}, { kid: undefined });

      expect(await refusalOf(verifier.verify(token))).to.equal('ambiguous_key');
    });

    it('stops accepting a dropped key, even a token it had cached, once the key set is refetched', async () => {
      const token = await provider.sign();
      await verifier.verify(token);
      await provider.rotate();
      provider.drop(first.kid);

      const beforeRefetch = await outcomeOf(verifier.verify(token));
      await verifier.keys.refresh();
      const afterRefetch = await refusalOf(verifier.verify(token));

      expect(beforeRefetch).to.equal('accepted');
      expect(afterRefetch).to.equal('unknown_key');
    });
  });

  describe('when the provider fails', () => {
    it('answers IdentityProviderUnavailableError (503) and reports fail when the provider is down at boot', async () => {
      const provider = await startProvider('ES256');
      provider.down();
      const verifier = await verifierFor(provider);

      const outcome = await outcomeOf(verifier.verify(await provider.sign()));

      expect(outcome).to.be.instanceOf(IdentityProviderUnavailableError);
      expect(outcome).to.include({ status: 503, code: 'identity_provider_unavailable' });
      expect(verifier.keys.status().status).to.equal('fail');
    });

    it('verifies with the cached keys when the provider goes down mid-run, reports warn, and logs one warn line', async () => {
      const provider = await startProvider('ES256');
      const log = captureLog();
      const verifier = await verifierFor(provider, { logger: createLogger({ env: 'production', logLevel: 'info' }, log.stream) });
      const tokens = await Promise.all(
        Array.from({ length: 100 }, (_, index) => provider.sign({ jti: `request-${index}` }, { expiresInS: 3_600 })),
      );
      provider.down();
      clock += MAX_AGE_MS;

      const callers = [];
      for (const token of tokens) callers.push(await verifier.verify(token));
      await verifier.keys.refresh();

      expect(callers).to.have.lengthOf(100);
      expect(verifier.keys.status().status).to.equal('warn');
      const warnings = (await log.entries()).filter((entry) => entry.level === 'warn');
      expect(warnings).to.have.lengthOf(1);
      expect(JSON.stringify(warnings)).to.not.include(tokens[0]);
    });
  });
});

import { expect } from 'chai';
import { SignJWT, type CompactJWSHeaderParameters, type CryptoKey, type JWTPayload } from 'jose';
import { InvalidTokenError, type InvalidTokenReason } from '../../lib/keel/auth/errors';
import { localKeySet, type KeySetStatus, type KeySource } from '../../lib/keel/auth/key-source';
import { createEphemeralIssuerKey, type LocalIssuerKey } from '../../lib/keel/auth/local-issuer';
import { createVerifier, MAX_TOKEN_LENGTH, type TokenVerifier, type VerifierOptions } from '../../lib/keel/auth/verifier';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'keel';
const START_MS = Date.UTC(2030, 0, 1);
const START_S = START_MS / 1000;

/** A key source that counts how often a verifier asks it for a key, and whose version a test can change. */
class CountingKeys implements KeySource {
  calls = 0;
  version = 0;
  constructor(private readonly inner: KeySource) {}
  getKey(header: CompactJWSHeaderParameters): Promise<CryptoKey> {
    this.calls += 1;
    return this.inner.getKey(header);
  }
  status(): KeySetStatus {
    return this.inner.status();
  }
  refresh(): Promise<void> {
    return this.inner.refresh();
  }
  refreshIfStale(): void {}
  close(): void {}
}

describe('createVerifier', () => {
  let issuerKey: LocalIssuerKey;
  let keys: CountingKeys;
  let clock: number;

  before(async () => {
    issuerKey = await createEphemeralIssuerKey();
  });

  beforeEach(() => {
    keys = new CountingKeys(localKeySet(issuerKey.publicKeys));
    clock = START_MS;
  });

  const verifier = (options: Partial<VerifierOptions> = {}): TokenVerifier =>
    createVerifier({
      keys,
      issuer: ISSUER,
      audience: [AUDIENCE],
      algorithms: ['RS256', 'ES256'],
      clockToleranceS: 30,
      userClaim: 'sub',
      tenantClaim: 'tenant_id',
      now: () => clock,
      ...options,
    });

  /** A token signed by the issuer's key: iss, aud, sub 'ada' and exp five minutes after START, then claims over them. */
  const sign = (claims: JWTPayload = {}): Promise<string> =>
    new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'ada', exp: START_S + 300, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: issuerKey.kid })
      .sign(issuerKey.privateKey);

  async function refusalOf(verification: Promise<unknown>): Promise<InvalidTokenReason> {
    const error = await verification.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error, 'the token was accepted').to.be.instanceOf(InvalidTokenError);
    return (error as InvalidTokenError).reason;
  }

  describe('the Caller', () => {
    const tenants: ReadonlyArray<readonly [string, unknown]> = [
      ['a string', 'acme'],
      ['a number', 42],
      ['an object', { id: 'acme' }],
    ];
    for (const [label, tenant] of tenants) {
      it(`takes the user from sub and the tenant exactly as sent when it is ${label}`, async () => {
        const caller = await verifier().verify(await sign({ tenant_id: tenant }));

        expect(caller.user).to.equal('ada');
        expect(caller.tenant).to.deep.equal(tenant);
      });
    }

    it('has an undefined tenant when the token carries none', async () => {
      const caller = await verifier().verify(await sign());

      expect(caller.tenant).to.equal(undefined);
    });

    it('takes the user and the tenant from the configured claims', async () => {
      const token = await sign({ oid: 'user-7', org: 'acme' });

      const caller = await verifier({ userClaim: 'oid', tenantClaim: 'org' }).verify(token);

      expect(caller).to.include({ user: 'user-7', tenant: 'acme' });
    });

    const badUsers: ReadonlyArray<readonly [string, unknown]> = [
      ['missing', undefined],
      ['empty', ''],
      ['a number', 7],
      ['longer than 255 characters', 'u'.repeat(256)],
    ];
    for (const [label, sub] of badUsers) {
      it(`refuses a token whose user claim is ${label} as invalid (claims)`, async () => {
        const reason = await refusalOf(verifier().verify(await sign({ sub } as JWTPayload)));

        expect(reason).to.equal('claims');
      });
    }

    it('accepts a user of 255 characters', async () => {
      const caller = await verifier().verify(await sign({ sub: 'u'.repeat(255) }));

      expect(caller.user).to.have.lengthOf(255);
    });

    const scopeCases: ReadonlyArray<readonly [string, JWTPayload, readonly string[]]> = [
      ['scope, space-separated', { scope: 'widgets:read  widgets:write' }, ['widgets:read', 'widgets:write']],
      ['scp as an array (Okta), ignoring entries that are not strings', { scp: ['a', 5, null, 'b', ''] }, ['a', 'b']],
      ['scp as a space-separated string (Entra ID)', { scp: 'a b' }, ['a', 'b']],
      ['the union of scope and scp', { scope: 'a b', scp: ['b', 'c'] }, ['a', 'b', 'c']],
      ['neither', {}, []],
      ['scope that is not a string', { scope: 42 }, []],
    ];
    for (const [label, claims, expected] of scopeCases) {
      it(`takes the scopes from ${label}`, async () => {
        const caller = await verifier().verify(await sign(claims));

        expect([...caller.scopes].sort()).to.deep.equal([...expected].sort());
      });
    }

    it('freezes the claims, nested ones too, and gives expiresAt in ms', async () => {
      const caller = await verifier().verify(await sign({ profile: { groups: ['a'] } }));

      expect(Object.isFrozen(caller.claims)).to.equal(true);
      expect(Object.isFrozen((caller.claims.profile as { groups: string[] }).groups)).to.equal(true);
      expect(caller.expiresAt).to.equal((START_S + 300) * 1000);
    });
  });

  describe('before parsing', () => {
    it(`refuses a token over ${MAX_TOKEN_LENGTH} characters as too_large without looking for a key`, async () => {
      const reason = await refusalOf(verifier().verify(`${'a'.repeat(MAX_TOKEN_LENGTH - 4)}.b.cd`));

      expect(reason).to.equal('too_large');
      expect(keys.calls).to.equal(0);
    });

    const shapes = ['', 'abc', 'a.b', 'a.b.c.d', '.b.c', 'a..c', 'a.b$.c', 'a.b.c=', 'a b.c.d', 'a.b.c\n', 'ä.b.c'];
    for (const token of shapes) {
      it(`refuses ${JSON.stringify(token)} as malformed without looking for a key`, async () => {
        const reason = await refusalOf(verifier().verify(token));

        expect(reason).to.equal('malformed');
        expect(keys.calls).to.equal(0);
      });
    }
  });

  describe('the verified-claims cache', () => {
    it('does not ask the key source again for a token it has verified', async () => {
      const subject = verifier();
      const token = await sign();

      const first = await subject.verify(token);
      const second = await subject.verify(token);

      expect(keys.calls).to.equal(1);
      expect(second).to.equal(first);
    });

    it('knows a token it has verified at once, and no other, without asking the key source', async () => {
      const subject = verifier();
      const token = await sign();
      const other = await sign({ sub: 'grace' });

      const before = subject.known(token);
      const verified = await subject.verify(token);
      const after = subject.known(token);

      expect(before).to.equal(undefined);
      expect(after).to.equal(verified);
      expect(subject.known(other)).to.equal(undefined);
      expect(keys.calls).to.equal(1);
    });

    it('knows no cached token once it has expired past the clock tolerance', async () => {
      const subject = verifier({ clockToleranceS: 30 });
      const token = await sign();
      await subject.verify(token);

      clock = (START_S + 300 + 30) * 1000;

      expect(subject.known(token)).to.equal(undefined);
    });

    it('refuses a cached token from exp plus the clock tolerance on', async () => {
      const subject = verifier({ clockToleranceS: 30 });
      const token = await sign({ exp: START_S + 60 });
      await subject.verify(token);

      clock = (START_S + 60 + 30) * 1000 - 1;
      await subject.verify(token);
      const callsBeforeExpiry = keys.calls;
      clock = (START_S + 60 + 30) * 1000;
      const reason = await refusalOf(subject.verify(token));

      expect(callsBeforeExpiry).to.equal(1);
      expect(reason).to.equal('expired');
    });

    it('keeps at most cacheEntries tokens, dropping the least recently used', async () => {
      const subject = verifier({ cacheEntries: 2 });
      const [a, b, c] = await Promise.all([sign({ jti: 'a' }), sign({ jti: 'b' }), sign({ jti: 'c' })]);
      await subject.verify(a);
      await subject.verify(b);
      await subject.verify(a); // a is now the most recently used

      await subject.verify(c); // drops b
      const callsAfterFilling = keys.calls;
      await subject.verify(a);
      await subject.verify(c);
      const callsForCached = keys.calls - callsAfterFilling;
      await subject.verify(b);

      expect(callsAfterFilling).to.equal(3);
      expect(callsForCached).to.equal(0);
      expect(keys.calls).to.equal(4);
    });

    it('forgets every token when the key set changes', async () => {
      const subject = verifier();
      const token = await sign();
      await subject.verify(token);

      keys.version += 1;
      await subject.verify(token);

      expect(keys.calls).to.equal(2);
    });

    it('remembers nothing with cacheEntries 0', async () => {
      const subject = verifier({ cacheEntries: 0 });
      const token = await sign();

      await subject.verify(token);
      await subject.verify(token);

      expect(keys.calls).to.equal(2);
    });

    it('does not remember a refused token', async () => {
      const subject = verifier();
      const token = await sign({ aud: 'someone-else' });

      await refusalOf(subject.verify(token));
      await refusalOf(subject.verify(token));

      expect(keys.calls).to.equal(2);
    });
  });

  describe('its options', () => {
    for (const algorithms of [['none'], ['RS256', 'HS256'], ['HS512'], []]) {
      it(`refuses the algorithm list ${JSON.stringify(algorithms)}`, () => {
        expect(() => verifier({ algorithms })).to.throw(TypeError);
      });
    }

    it('refuses an empty audience list and a negative clock tolerance', () => {
      expect(() => verifier({ audience: [] })).to.throw(TypeError);
      expect(() => verifier({ clockToleranceS: -1 })).to.throw(TypeError);
    });
  });
});

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { decodeProtectedHeader } from 'jose';
import { localKeySet } from '../../lib/keel/auth/key-source';
import { createEphemeralIssuerKey, LOCAL_ISSUER, loadOrCreateLocalIssuerKey, signLocalToken } from '../../lib/keel/auth/local-issuer';
import { createVerifier } from '../../lib/keel/auth/verifier';

const CLAIM_NAMES = { userClaim: 'sub', tenantClaim: 'tenant_id' };

describe('the local development issuer', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'keel-issuer-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('loadOrCreateLocalIssuerKey', () => {
    it('creates a private ES256 JWK file readable by its owner only, in a directory it creates', async () => {
      const file = path.join(directory, 'nested', 'issuer-key.json');

      const key = await loadOrCreateLocalIssuerKey(file);

      expect((await stat(file)).mode & 0o777).to.equal(0o600);
      const stored = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      expect(stored).to.include({ kty: 'EC', crv: 'P-256', kid: key.kid, alg: 'ES256' });
      expect(stored.d).to.be.a('string');
      expect(key.publicKeys.keys).to.have.lengthOf(1);
      expect(key.publicKeys.keys[0]).to.not.have.property('d');
    });

    it('reuses the key it stored: a token signed before a restart still verifies after it', async () => {
      const file = path.join(directory, 'issuer-key.json');
      const first = await loadOrCreateLocalIssuerKey(file);
      const token = await signLocalToken(first, { sub: 'ada', audience: 'keel', expiresInS: 60, ...CLAIM_NAMES });

      const second = await loadOrCreateLocalIssuerKey(file);
      const verifier = localVerifier(second.publicKeys);

      expect(second.kid).to.equal(first.kid);
      expect((await verifier.verify(token)).user).to.equal('ada');
    });

    it('refuses a file that is not an ES256 private JWK, naming it', async () => {
      const file = path.join(directory, 'issuer-key.json');
      await writeFile(file, JSON.stringify({ kty: 'RSA', n: 'AQAB', e: 'AQAB' }));

      const error = await loadOrCreateLocalIssuerKey(file).then(
        () => undefined,
        (caught: unknown) => caught,
      );

      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.include(file);
    });
  });

  describe('createEphemeralIssuerKey', () => {
    it('makes a new key each time, with its own kid', async () => {
      const [one, two] = await Promise.all([createEphemeralIssuerKey(), createEphemeralIssuerKey()]);

      expect(one.kid).to.not.equal(two.kid);
    });
  });

  describe('signLocalToken', () => {
    it('signs iss urn:keel:development, the kid, iat and exp, and the user, tenant and scopes under the configured claims', async () => {
      const key = await createEphemeralIssuerKey();

      const token = await signLocalToken(key, {
        sub: 'ada',
        tenant: 'acme',
        scopes: ['widgets:read', 'widgets:write'],
        audience: ['keel', 'other'],
        expiresInS: 120,
        userClaim: 'oid',
        tenantClaim: 'org',
      });
      const caller = await localVerifier(key.publicKeys, { userClaim: 'oid', tenantClaim: 'org' }).verify(token);

      expect(decodeProtectedHeader(token)).to.include({ alg: 'ES256', kid: key.kid, typ: 'JWT' });
      expect(caller).to.include({ user: 'ada', tenant: 'acme' });
      expect([...caller.scopes]).to.deep.equal(['widgets:read', 'widgets:write']);
      expect(caller.claims).to.include({ iss: LOCAL_ISSUER, sub: 'ada' });
      expect((caller.claims.exp as number) - (caller.claims.iat as number)).to.equal(120);
    });
  });
});

function localVerifier(keys: Parameters<typeof localKeySet>[0], claims = CLAIM_NAMES): ReturnType<typeof createVerifier> {
  return createVerifier({
    keys: localKeySet(keys),
    issuer: LOCAL_ISSUER,
    audience: ['keel'],
    algorithms: ['ES256'],
    clockToleranceS: 0,
    ...claims,
  });
}

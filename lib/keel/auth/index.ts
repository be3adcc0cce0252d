import type { AuthConfig } from '../../../config/auth';
import type { Logger } from '../../../config/logger';
import { localKeySet } from './key-source';
import { remoteKeySet } from './remote-key-set';
import { createEphemeralIssuerKey, loadOrCreateLocalIssuerKey } from './local-issuer';
import { createVerifier, type TokenVerifier } from './verifier';

export type { Caller } from './caller';
export type { TokenVerifier } from './verifier';

/**
 * The token verifier the configuration asks for: against the identity provider's published keys
 * (AUTH_ISSUER), or keel's development issuer (its key in a file npm run token signs with, or in
 * memory for a test process); 'off' for AUTH=off. The provider's keys are fetched in the background:
 * the service boots while its provider is down, and answers 503 until a key is at hand.
 */
export async function verifierFor(auth: AuthConfig, logger: Logger): Promise<TokenVerifier | 'off'> {
  if (!auth.enabled) return 'off';
  let keys;
  if (auth.keys.from === 'provider') {
    keys = remoteKeySet({ issuer: auth.issuer, jwksUrl: auth.keys.jwksUrl, logger });
    void keys.refresh();
  } else {
    const issuerKey = auth.keys.file ? await loadOrCreateLocalIssuerKey(auth.keys.file) : await createEphemeralIssuerKey();
    keys = localKeySet(issuerKey.publicKeys);
  }
  return createVerifier({
    keys,
    issuer: auth.issuer,
    audience: auth.audience,
    algorithms: auth.algorithms,
    clockToleranceS: auth.clockToleranceS,
    userClaim: auth.userClaim,
    tenantClaim: auth.tenantClaim,
  });
}

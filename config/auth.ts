import { isIPv4 } from 'node:net';
import path from 'node:path';
import { makeValidator, str } from 'envalid';
import { integerBetween } from './validators';

/**
 * Who is calling: bearer tokens (RFC 6750) from an OpenID provider, verified with its published keys.
 * The variables, their rules, and what they make of the configuration. The verification itself is in
 * lib/keel/auth; the reasons are in docs/api.md#who-is-calling.
 */

/** Asymmetric JWS algorithms only: an HMAC algorithm would take the provider's public key as its secret. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type Algorithm = (typeof ALLOWED_ALGORITHMS)[number];
export const DEFAULT_ALGORITHMS: readonly Algorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

/** The iss of the tokens keel signs itself in development (npm run token): a URN, so it can never be a real provider's URL. */
export const LOCAL_ISSUER = 'urn:keel:development';

/**
 * Whether keel may fetch an identity provider's discovery document or key set from this URL: https, or plain
 * http only on this machine (127.0.0.0/8, [::1], localhost), where no one on the network can swap the keys.
 * A URL with credentials in it is refused: they would end up in logs and errors.
 */
export function isAllowedProviderUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username !== '' || parsed.password !== '') return false;
  if (parsed.protocol === 'https:') return parsed.hostname !== '';
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}

/** URL has already normalised the host: lower case, IPv4 in dotted decimal (127.1 → 127.0.0.1), IPv6 in brackets. */
function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  return isIPv4(hostname) && hostname.startsWith('127.');
}

const providerUrl = makeValidator((input) => {
  if (!isAllowedProviderUrl(input)) {
    throw new Error('must be an https:// URL without credentials (plain http only on a loopback address, for tests)');
  }
  return input;
});

const commaList = (input: string): string[] =>
  input
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

const algorithmList = makeValidator((input) => {
  const algorithms = commaList(input);
  const allowed: readonly string[] = ALLOWED_ALGORITHMS;
  if (algorithms.length === 0 || algorithms.some((algorithm) => !allowed.includes(algorithm))) {
    throw new Error(`must be a comma-separated list of asymmetric algorithms among ${ALLOWED_ALGORITHMS.join(', ')} (never none or HS*)`);
  }
  return algorithms as Algorithm[];
});

const audienceList = makeValidator((input) => {
  const audiences = commaList(input);
  if (audiences.length === 0 || audiences.some((audience) => audience.length > 255)) {
    throw new Error('must be one or more audiences, comma-separated, each at most 255 characters');
  }
  return audiences;
});

// A claim name as providers write them: sub, tenant_id, or a namespaced https://example.com/tenant.
const claimName = makeValidator((input) => {
  if (!/^[\x21-\x7e]{1,200}$/.test(input)) throw new Error('must be a claim name: 1 to 200 printable characters, no spaces');
  return input;
});

export const authSpec = {
  AUTH: str({
    choices: ['on', 'off'] as const,
    default: 'on',
    desc: 'off: no bearer tokens are verified and every route is public (a service behind an authenticating gateway); say so explicitly when deployed',
  }),
  AUTH_ISSUER: providerUrl({
    default: undefined,
    desc: "the identity provider's issuer URL (the tokens' iss); its keys are found through /.well-known/openid-configuration; required in staging/production unless AUTH=off; unset in development: keel's local issuer (npm run token)",
  }),
  AUTH_JWKS_URL: providerUrl({
    default: undefined,
    desc: "the provider's key set URL, when it publishes no discovery document (AUTH_ISSUER is still required and checked)",
  }),
  AUTH_AUDIENCE: audienceList({
    default: undefined,
    desc: 'the audience the tokens must be issued for (aud), comma-separated for several; required with AUTH_ISSUER; the package name for the local issuer',
  }),
  AUTH_ALGORITHMS: algorithmList({
    default: [...DEFAULT_ALGORITHMS],
    desc: `the signature algorithms accepted, comma-separated, among ${ALLOWED_ALGORITHMS.join(', ')}`,
  }),
  AUTH_CLOCK_TOLERANCE_S: integerBetween(0, 300)({ default: 30, desc: 'seconds of clock skew allowed on exp and nbf' }),
  AUTH_USER_CLAIM: claimName({ default: 'sub', desc: "the claim that names the user (app.user_id in the unit of work's settings)" }),
  AUTH_TENANT_CLAIM: claimName({
    default: 'tenant_id',
    desc: "the claim that names the tenant (app.tenant_id in the unit of work's settings, which row-level security reads)",
  }),
  AUTH_DEVELOPMENT_KEY_FILE: str({
    default: undefined,
    desc: "development only: where the local issuer's private key is kept (default .data/development-issuer.jwk.json, gitignored)",
  }),
};

export interface AuthConfig {
  /** false: AUTH=off, every route is public. */
  readonly enabled: boolean;
  /** The tokens' iss: AUTH_ISSUER, or LOCAL_ISSUER outside staging/production. */
  readonly issuer: string;
  /** Where the keys come from: the provider (discovery, or jwksUrl), or keel's own development key. */
  readonly keys:
    | { readonly from: 'provider'; readonly jwksUrl: string | undefined }
    /** file undefined: a key made in memory for this process (the test environment). */
    | { readonly from: 'local'; readonly file: string | undefined };
  readonly audience: readonly string[];
  readonly algorithms: readonly Algorithm[];
  readonly clockToleranceS: number;
  readonly userClaim: string;
  readonly tenantClaim: string;
}

interface AuthVariables {
  readonly NODE_ENV: string;
  readonly AUTH: 'on' | 'off';
  readonly AUTH_ISSUER: string | undefined;
  readonly AUTH_JWKS_URL: string | undefined;
  readonly AUTH_AUDIENCE: string[] | undefined;
  readonly AUTH_ALGORITHMS: Algorithm[];
  readonly AUTH_CLOCK_TOLERANCE_S: number;
  readonly AUTH_USER_CLAIM: string;
  readonly AUTH_TENANT_CLAIM: string;
  readonly AUTH_DEVELOPMENT_KEY_FILE: string | undefined;
}

/** What the variables say together: each problem names the variable and its rule. */
export function authProblems(clean: AuthVariables, deployed: boolean): string[] {
  if (clean.AUTH === 'off') return [];
  const problems: string[] = [];
  if (deployed && !clean.AUTH_ISSUER) {
    problems.push(
      'AUTH_ISSUER: is required in staging and production (the identity provider whose tokens callers send); set AUTH=off only if every route is meant to be public',
    );
  }
  if (clean.AUTH_ISSUER && !clean.AUTH_AUDIENCE) {
    problems.push('AUTH_AUDIENCE: is required with AUTH_ISSUER (the aud your provider issues tokens for this service with)');
  }
  if (clean.AUTH_JWKS_URL && !clean.AUTH_ISSUER) problems.push('AUTH_JWKS_URL: needs AUTH_ISSUER (the issuer is always checked)');
  if (deployed && clean.AUTH_DEVELOPMENT_KEY_FILE) problems.push('AUTH_DEVELOPMENT_KEY_FILE: is for development only');
  return problems;
}

export function authConfig(clean: AuthVariables, projectRoot: string, packageName: string): AuthConfig {
  const shared = {
    enabled: clean.AUTH === 'on',
    algorithms: clean.AUTH_ALGORITHMS,
    clockToleranceS: clean.AUTH_CLOCK_TOLERANCE_S,
    userClaim: clean.AUTH_USER_CLAIM,
    tenantClaim: clean.AUTH_TENANT_CLAIM,
  };
  if (clean.AUTH_ISSUER) {
    return {
      ...shared,
      issuer: clean.AUTH_ISSUER,
      keys: { from: 'provider', jwksUrl: clean.AUTH_JWKS_URL },
      audience: clean.AUTH_AUDIENCE ?? [],
    };
  }
  // The local issuer signs ES256 only.
  const file =
    clean.NODE_ENV === 'development'
      ? path.resolve(projectRoot, clean.AUTH_DEVELOPMENT_KEY_FILE ?? path.join('.data', 'development-issuer.jwk.json'))
      : clean.AUTH_DEVELOPMENT_KEY_FILE && path.resolve(projectRoot, clean.AUTH_DEVELOPMENT_KEY_FILE);
  return {
    ...shared,
    algorithms: ['ES256'],
    issuer: LOCAL_ISSUER,
    keys: { from: 'local', file },
    audience: clean.AUTH_AUDIENCE ?? [packageName],
  };
}

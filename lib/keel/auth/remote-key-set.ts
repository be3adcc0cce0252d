import { createLocalJWKSet, errors, type CompactJWSHeaderParameters, type CryptoKey, type JWK, type LocalJWKSet } from 'jose';
import type { Logger } from '../../../config/logger';
import { IdentityProviderUnavailableError } from './errors';
import type { KeySetStatus, KeySource } from './key-source';
import { fetchProviderJson, ProviderFetchError } from './provider-fetch';
import { signatureKeys } from './signature-keys';

export interface RemoteKeySetOptions {
  /** The issuer exactly as tokens carry it in iss; discovery must report the same. */
  readonly issuer: string;
  /** The key set's URL; without it, OpenID discovery under the issuer finds it. */
  readonly jwksUrl?: string;
  readonly logger: Logger;
  /** The budget for one refresh, discovery and key set together. */
  readonly fetchTimeoutMs?: number;
  /** After a fetch, how long an unknown kid or a stale set waits before fetching again. */
  readonly cooldownMs?: number;
  /** How old the keys may grow before a use refreshes them in the background. */
  readonly maxAgeMs?: number;
  readonly now?: () => number;
}

const NOT_FETCHED = 'The signing keys have not been fetched from the identity provider yet.';
const NO_KEYS = 'The identity provider cannot be reached; no token can be verified.';
const CACHED_KEYS = 'The identity provider cannot be reached; cached keys still verify.';

/**
 * The identity provider's signature keys, fetched over https (OpenID discovery, then the key set) and held in
 * memory. The provider is asked at most once per cooldown, however many requests need it, so a flood of
 * tokens with made-up kids cannot turn into a flood of fetches; a provider that goes away leaves the keys
 * already held in use.
 */
export function remoteKeySet(options: RemoteKeySetOptions): KeySource {
  return new RemoteKeySet(options);
}

class RemoteKeySet implements KeySource {
  version = 0;
  private keys: LocalJWKSet | undefined;
  private keyCount = 0;
  /** The keys as last fetched, serialised: a fetch that brings the same keys changes nothing. */
  private published = '';
  private fetchedAt: number | undefined;
  /** When the last fetch ended, successful or not: the cooldown counts from here. */
  private attemptedAt: number | undefined;
  private failing = false;
  private warnedAt: number | undefined;
  private inFlight: Promise<void> | undefined;
  private discoveredJwksUrl: string | undefined;
  private readonly closing = new AbortController();
  private readonly now: () => number;
  private readonly fetchTimeoutMs: number;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;

  constructor(private readonly options: RemoteKeySetOptions) {
    this.now = options.now ?? Date.now;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
  }

  /** An arrow function, so that keys.getKey may be handed to jwtVerify as it is. */
  readonly getKey = async (header: CompactJWSHeaderParameters): Promise<CryptoKey> => {
    if (this.keys === undefined) await this.fetchUnlessCoolingDown();
    const keys = this.keys;
    if (keys === undefined) throw new IdentityProviderUnavailableError();
    this.refreshIfStale();
    try {
      return await keys(header);
    } catch (error) {
      // An unknown kid may be a key the provider has just rotated in: look once more after a fetch, if one is due.
      if (!(error instanceof errors.JWKSNoMatchingKey) || !(await this.fetchUnlessCoolingDown())) throw error;
      return (this.keys ?? keys)(header);
    }
  };

  status(): KeySetStatus {
    if (this.keys === undefined || this.fetchedAt === undefined) {
      return { status: 'fail', keys: 0, output: this.attemptedAt === undefined ? NOT_FETCHED : NO_KEYS };
    }
    const held = { keys: this.keyCount, fetchedAt: new Date(this.fetchedAt).toISOString() };
    return this.failing ? { status: 'warn', ...held, output: CACHED_KEYS } : { status: 'pass', ...held };
  }

  refresh(): Promise<void> {
    if (this.closing.signal.aborted) return Promise.resolve();
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  refreshIfStale(): void {
    if (this.fetchedAt === undefined || this.inFlight !== undefined) return;
    const now = this.now();
    if (now - this.fetchedAt >= this.maxAgeMs && !this.coolingDown(now)) void this.refresh();
  }

  close(): void {
    this.closing.abort();
  }

  private coolingDown(now: number): boolean {
    return this.attemptedAt !== undefined && now - this.attemptedAt < this.cooldownMs;
  }

  /** Joins the fetch in flight, or starts one unless the last ended within the cooldown; whether keys may have changed. */
  private async fetchUnlessCoolingDown(): Promise<boolean> {
    if (this.inFlight === undefined && this.coolingDown(this.now())) return false;
    await this.refresh();
    return true;
  }

  private async load(): Promise<void> {
    const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.fetchTimeoutMs)]);
    try {
      const url = this.options.jwksUrl ?? (this.discoveredJwksUrl ??= await discoverJwksUrl(this.options.issuer, signal));
      this.accept(signatureKeys(await fetchProviderJson(url, signal)));
    } catch (error) {
      // The key set may have moved: the next attempt asks discovery again.
      this.discoveredJwksUrl = undefined;
      this.fail(error);
    } finally {
      this.attemptedAt = this.now();
    }
  }

  private accept(keys: JWK[]): void {
    const published = JSON.stringify(keys);
    if (published !== this.published) {
      // Replaced only when they changed: jose's resolver keeps the keys it has imported.
      this.keys = createLocalJWKSet({ keys });
      this.keyCount = keys.length;
      this.published = published;
      this.version += 1;
    }
    this.fetchedAt = this.now();
    if (this.failing)
      this.options.logger.info('the identity provider answers again; its signing keys are refreshed', { keys: keys.length });
    else this.options.logger.debug('identity provider signing keys fetched', { keys: keys.length });
    this.failing = false;
  }

  private fail(error: unknown): void {
    if (this.closing.signal.aborted) return;
    this.failing = true;
    const now = this.now();
    // One line per cooldown, not one per request that found the keys stale or the kid unknown.
    if (this.warnedAt !== undefined && now - this.warnedAt < this.cooldownMs) return;
    this.warnedAt = now;
    const message =
      this.keys === undefined
        ? 'identity provider unreachable and no signing keys held; tokens cannot be verified'
        : 'identity provider unreachable; the signing keys already held still verify';
    const issuer = this.options.issuer;
    if (error instanceof ProviderFetchError) {
      this.options.logger.warn(message, { reason: error.reason, status: error.status, networkCode: error.networkCode, issuer });
    } else {
      this.options.logger.warn(message, { reason: 'unexpected', issuer, error });
    }
  }
}

/** OpenID Connect Discovery 1.0, section 4: the document under the issuer, which must name that same issuer. */
async function discoverJwksUrl(issuer: string, signal: AbortSignal): Promise<string> {
  const document = await fetchProviderJson(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, signal);
  const fields = typeof document === 'object' && document !== null ? (document as Record<string, unknown>) : {};
  // Section 4.3: a document naming another issuer is not this issuer's, whoever served it.
  if (fields.issuer !== issuer) throw new ProviderFetchError('issuer_mismatch');
  if (typeof fields.jwks_uri !== 'string') throw new ProviderFetchError('no_jwks_uri');
  return fields.jwks_uri;
}

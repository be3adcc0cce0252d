import { isAllowedProviderUrl } from '../../../config/auth';

/** The largest discovery document or key set keel reads: real ones are a few KiB. */
export const MAX_PROVIDER_RESPONSE_BYTES = 512 * 1024;

/** Why fetching from the identity provider failed: a fixed word for the log line. */
export type ProviderFailure =
  | 'url_not_allowed'
  | 'unreachable'
  | 'redirect'
  | 'timeout'
  | 'closed'
  | 'status'
  | 'too_large'
  | 'not_json'
  | 'issuer_mismatch'
  | 'no_jwks_uri'
  | 'invalid_key_set'
  | 'no_signing_keys';

export class ProviderFetchError extends Error {
  constructor(
    readonly reason: ProviderFailure,
    /** The HTTP status, for reason 'status'. */
    readonly status?: number,
    /** The system error's code (ECONNREFUSED, ENOTFOUND, …), for reason 'unreachable'. */
    readonly networkCode?: string,
  ) {
    super(`identity provider fetch failed: ${reason}`);
    this.name = new.target.name;
  }
}

/**
 * GETs a JSON document from the identity provider: https (or http on loopback) only, no redirects (a redirect
 * could lead to a host that was never configured), at most MAX_PROVIDER_RESPONSE_BYTES, within the signal.
 */
export async function fetchProviderJson(url: string, signal: AbortSignal): Promise<unknown> {
  if (!isAllowedProviderUrl(url)) throw new ProviderFetchError('url_not_allowed');
  try {
    const response = await fetch(url, { signal, redirect: 'error', headers: { accept: 'application/json' } });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new ProviderFetchError('status', response.status);
    }
    return parseJson(await readBounded(response));
  } catch (error) {
    if (error instanceof ProviderFetchError) throw error;
    if (signal.aborted) throw new ProviderFetchError(isTimeout(signal.reason) ? 'timeout' : 'closed');
    throw networkFailure(error);
  }
}

/** fetch's TypeError says little; its cause says what happened (for the log only). */
function networkFailure(error: unknown): ProviderFetchError {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause?.message === 'unexpected redirect') return new ProviderFetchError('redirect');
  return new ProviderFetchError('unreachable', undefined, typeof cause?.code === 'string' ? cause.code : undefined);
}

const isTimeout = (reason: unknown): boolean => reason instanceof Error && reason.name === 'TimeoutError';

async function readBounded(response: Response): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_PROVIDER_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw new ProviderFetchError('too_large');
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  // A missing or lying Content-Length is caught here, before more than the cap is held in memory.
  for await (const chunk of response.body ?? []) {
    received += chunk.byteLength;
    if (received > MAX_PROVIDER_RESPONSE_BYTES) throw new ProviderFetchError('too_large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProviderFetchError('not_json');
  }
}

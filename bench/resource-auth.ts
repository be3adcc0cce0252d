// The resource mode's authentication comparison: GET /widgets/:id with the bench's bearer token
// against the same build with AUTH=off serving the same request without one. Two keel processes
// started together for it (neither warmed by the other comparisons), measured in turns. Every token
// is found in keel's verified-claims cache after its first request, so the difference is what an
// authenticated request costs with its token verified: the Authorization header's parsing, the
// token's SHA-256 and the cache lookup, the scope check and the settings' zod check.
import type { BenchIdentity } from './identity';
import { describe, send, startKeel, stopAll, type ServerProcess } from './keel';
import type { ResourceOptions } from './resource';
import { keelSetting } from './settings';
import { measureInTurns, Side, type Measured } from './throughput';

export const AUTHENTICATION_LABEL = 'GET /widgets/:id';

export interface AuthenticationResult {
  readonly label: string;
  /** keel with AUTH=on, every request carrying the bench's token. */
  readonly authenticated: Measured;
  /** The same build with AUTH=off, the same request without a token. */
  readonly open: Measured;
}

/** One request; throws unless it is answered with the status expected, for the reason given. */
async function expectStatus(
  server: ServerProcess,
  urlPath: string,
  headers: Readonly<Record<string, string>>,
  expected: number,
  why: string,
): Promise<string> {
  const answer = await send(server.port, 'GET', urlPath, undefined, headers);
  const described = describe(answer.status, answer.body);
  if (answer.status !== expected) throw new Error(`${why}: expected ${expected}, got ${described}`);
  return described;
}

/** Reads the widget `id` (created by the caller, in the same database) through both servers, in turns. */
export async function measureAuthentication(
  databaseUrl: string,
  root: string,
  identity: BenchIdentity,
  id: string,
  options: ResourceOptions,
  samples: Record<string, string>,
): Promise<AuthenticationResult> {
  const urlPath = `/widgets/${id}`;
  let authenticated: ServerProcess | undefined;
  let open: ServerProcess | undefined;
  try {
    authenticated = await startKeel(databaseUrl, identity.keelEnv, root);
    open = await startKeel(databaseUrl, { AUTH: 'off' }, root);
    // Without these, the comparison would compare nothing: a build that verifies no token answers both alike.
    samples['keel (AUTH=on) without a token'] = await expectStatus(authenticated, urlPath, {}, 401, 'keel with AUTH=on, no token');
    samples['keel (AUTH=on) with the token'] = await expectStatus(
      authenticated,
      urlPath,
      identity.headers,
      200,
      'keel with AUTH=on, the token',
    );
    samples['keel (AUTH=off) without a token'] = await expectStatus(open, urlPath, {}, 200, 'keel with AUTH=off, no token');
    options.log(`${AUTHENTICATION_LABEL} with a token and with AUTH=off: ${options.warmupSeconds} s warm-up each, then in turns`);
    const sideOptions = { ...options, probeWindowMs: keelSetting('DB_PROBE_CACHE_MS') };
    const url = (server: ServerProcess): string => `http://127.0.0.1:${server.port}${urlPath}`;
    const measured = await measureInTurns(
      new Side(open, url(open), sideOptions, { method: 'GET' }),
      new Side(authenticated, url(authenticated), sideOptions, { method: 'GET', headers: identity.headers }),
      options.durationSeconds,
    );
    return { label: AUTHENTICATION_LABEL, authenticated: measured.keel, open: measured.baseline };
  } finally {
    await stopAll([authenticated, open], options.shutdownGraceMs);
  }
}

#!/usr/bin/env node
// npm run token -- --sub alice --tenant <uuid> --scope widgets:write
// Development only: a bearer token signed by keel's local issuer, which `npm start` and `npm run dev`
// accept when AUTH_ISSUER is unset. Deployed, tokens come from the identity provider, never from here.
import { parseArgs } from 'node:util';
import { isDeployed } from '../config/deployed';
import { loadOrCreateLocalIssuerKey, signLocalToken } from '../lib/keel/auth/local-issuer';
import { loadConfigOrExit } from './boot';

const USAGE = `usage: npm run token -- [--sub <user>] [--tenant <uuid>] [--scope <scope>]... [--expires-in <seconds>]

Prints a bearer token from keel's development issuer (its key: AUTH_DEVELOPMENT_KEY_FILE, default
.data/development-issuer.jwk.json), for the service's audience (AUTH_AUDIENCE, default the package name).
  --sub         the user (the AUTH_USER_CLAIM claim, sub by default); default: developer
  --tenant      the tenant (the AUTH_TENANT_CLAIM claim, tenant_id by default): a UUID, as row-level security reads it
  --scope       a scope the token grants; repeat it, or give several separated by spaces
  --expires-in  seconds until it expires; default 3600 (one hour), at most 86400

  curl -H "Authorization: Bearer $(npm run -s token -- --tenant 0190a000-0000-7000-8000-00000000000a)" localhost:3000/widgets
`;

const MAX_EXPIRY_S = 86_400;

function fail(message: string): never {
  process.stderr.write(`keel: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        sub: { type: 'string', default: 'developer' },
        tenant: { type: 'string' },
        scope: { type: 'string', multiple: true, default: [] },
        'expires-in': { type: 'string', default: '3600' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const { config } = loadConfigOrExit();
  const { auth } = config;
  if (isDeployed(config.env)) fail(`npm run token is for development; in ${config.env}, tokens come from the identity provider`);
  if (!auth.enabled) fail('AUTH=off: the service verifies no token');
  if (auth.keys.from !== 'local' || !auth.keys.file) {
    fail(`the service verifies tokens of ${auth.issuer} (AUTH_ISSUER): get one from that provider`);
  }
  const expiresInS = Number(values['expires-in']);
  if (!Number.isInteger(expiresInS) || expiresInS < 1 || expiresInS > MAX_EXPIRY_S) {
    fail(`--expires-in must be a whole number of seconds between 1 and ${MAX_EXPIRY_S}`);
  }
  const key = await loadOrCreateLocalIssuerKey(auth.keys.file);
  const token = await signLocalToken(key, {
    sub: values.sub,
    ...(values.tenant === undefined ? {} : { tenant: values.tenant }),
    scopes: values.scope.flatMap((scope) => scope.split(' ').filter(Boolean)),
    audience: auth.audience[0] as string,
    expiresInS,
    userClaim: auth.userClaim,
    tenantClaim: auth.tenantClaim,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));

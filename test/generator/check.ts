// Proves that what `npm run generate:resource` writes passes keel's own checks, untouched: in a
// throw-away clone it generates a plain and a --tenant resource, migrates, serves the --tenant one
// with `npm start` to two tenants' tokens from `npm run token`, runs the whole suite
// (the generated tests with it), lint and typecheck, then deletes the clone. Any failure exits 1
// with the step's output. `npm run test:generator`; CI runs it.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import { relocatedDataDir } from '../../lib/keel/db/embedded-placement';
import { freePort } from '../support/database';

const STEP_TIMEOUT_MS = 900_000;

export const PLAIN = ['widgets', 'name:string:unique', 'size:integer', 'note:text:optional'];
export const TENANT = [
  // Two words: the generated files, names and prose of a resource named stock_items.
  'stock_items',
  // First, since the tests change the first field: a column whose JSON name differs (madeOn).
  'made_on:date',
  'label:string:unique',
  'weight:decimal',
  'serial:bigint',
  'active:boolean',
  'ref:uuid:optional',
  'seen_at:timestamp:optional',
  'body:text',
  'rank:integer',
  '--tenant',
];

/**
 * Names a product is likely to choose, generated beside the two above before the suite runs: keel's own
 * tests must leave every one of them to the product (issue 28: a notes resource once broke the suite).
 */
export const EVERYDAY: readonly (readonly string[])[] = [
  ['notes', 'body:text', '--tenant'],
  ['users', 'email:string:unique', 'name:string'],
  ['accounts', 'name:string', 'balance:decimal'],
  ['events', 'kind:string', 'happened_at:timestamp'],
  ['items', 'title:string'],
  ['tasks', 'title:string', 'done:boolean', '--tenant'],
  ['orders', 'reference:string:unique', 'total:decimal'],
  ['sessions', 'token:string:unique', 'expires_at:timestamp'],
  ['documents', 'title:string', 'body:text:optional', '--tenant'],
  ['counters', 'label:string', 'value:integer'],
  ['codes', 'code:string:unique'],
  ['samples', 'label:string', 'taken_on:date'],
  ['messages', 'body:text', '--tenant'],
  ['comments', 'body:text'],
  ['files', 'name:string', 'size:bigint'],
  ['tags', 'label:string:unique'],
  ['projects', 'name:string', '--tenant'],
  ['teams', 'name:string'],
  ['roles', 'name:string:unique'],
  ['settings', 'key:string', 'value:text:optional', '--tenant'],
];

function step(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): void {
  const shown = [command, ...args].join(' ');
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: STEP_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024 });
  const seconds = Math.round((Date.now() - started) / 1000);
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit code ${result.status}${result.signal ? ` (${result.signal})` : ''}`;
    throw new Error(`\`${shown}\` failed after ${seconds} s: ${why}\n--- output ---\n${result.stdout}${result.stderr}`);
  }
  console.log(`generator: \`${shown}\` passed (${seconds} s)`);
}

const TENANT_A = '0190a000-0000-7000-8000-00000000000a';
const TENANT_B = '0190b000-0000-7000-8000-00000000000b';
/** A stock item as the TENANT resource takes it. */
const STOCK_ITEM = {
  madeOn: '2026-01-15',
  label: 'only tenant A sees this',
  weight: '1.50',
  serial: '42',
  active: true,
  body: 'b',
  rank: 1,
};

/** A token from `npm run token`, as the README shows it. */
function token(clone: string, env: NodeJS.ProcessEnv, args: readonly string[]): string {
  return execFileSync('npm', ['run', '-s', 'token', '--', ...args], { cwd: clone, env, encoding: 'utf8' }).trim();
}

/**
 * The README's two-tenant walk through `npm start`'s own embedded database: tenant A's row is
 * invisible to tenant B, a call without a token is refused, and a token without a tenant is a 403.
 */
async function twoTenantsThroughNpmStart(clone: string, env: NodeJS.ProcessEnv): Promise<void> {
  const started = Date.now();
  const port = await freePort();
  const server = spawn('npm', ['start'], {
    cwd: clone,
    env: { ...env, PORT: String(port) },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
  const base = `http://127.0.0.1:${port}/stock_items`;
  try {
    for (let ready = false; !ready;) {
      if (Date.now() - started > STEP_TIMEOUT_MS) throw new Error('npm start did not answer /health/ready in time');
      ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (res) => res.ok,
        () => false,
      );
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const [a, b, nobody] = [
      ['--sub', 'alice', '--tenant', TENANT_A],
      ['--sub', 'bob', '--tenant', TENANT_B],
      ['--sub', 'carol'],
    ].map((args) => ({ Authorization: `Bearer ${token(clone, env, args)}` }));
    const created = await fetch(base, {
      method: 'POST',
      headers: { ...a, 'Content-Type': 'application/json' },
      body: JSON.stringify(STOCK_ITEM),
    });
    const item = (await created.json()) as { id: string; tenantId: string };
    const asA = (await (await fetch(`${base}?limit=100`, { headers: a })).json()) as { items: { id: string }[] };
    const asB = (await (await fetch(`${base}?limit=100`, { headers: b })).json()) as { items: { id: string }[] };
    const statuses = {
      created: created.status,
      readByB: (await fetch(`${base}/${item.id}`, { headers: b })).status,
      withoutToken: (await fetch(base)).status,
      withoutTenant: (await fetch(base, { headers: nobody })).status,
    };
    const seen = { byA: asA.items.some((row) => row.id === item.id), byB: asB.items.some((row) => row.id === item.id) };
    const expected = JSON.stringify({
      statuses: { created: 201, readByB: 404, withoutToken: 401, withoutTenant: 403 },
      seen: { byA: true, byB: false },
    });
    if (JSON.stringify({ statuses, seen }) !== expected || item.tenantId !== TENANT_A) {
      throw new Error(
        `two tenants through npm start: ${JSON.stringify({ statuses, seen, tenantId: item.tenantId })}, expected ${expected}`,
      );
    }
    console.log(
      `generator: two tenants' tokens through npm start's own database see only their rows (${Math.round((Date.now() - started) / 1000)} s)`,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- npm start output ---\n${output}`);
  } finally {
    process.kill(-(server.pid as number), 'SIGINT');
    await exited;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-generator-'));
  // mkdtemp makes it mode 700: as root, embedded PostgreSQL's initdb (run as the postgres user) could not reach the clone.
  fs.chmodSync(workspace, 0o755);
  const clone = path.join(workspace, 'keel');
  execFileSync('git', ['clone', '--quiet', projectRoot(), clone]);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? workspace,
    // The npm cache is reused: installing costs what `npm ci` costs offline.
    ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}),
    // What reaching the registry takes on this machine (a proxy, its certificate authority), for a package
    // the cache does not hold.
    ...Object.fromEntries(
      ['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'npm_config_registry']
        .filter((name) => process.env[name] !== undefined)
        .map((name) => [name, process.env[name]]),
    ),
    ...(process.env.TEST_DATABASE_URL ? { TEST_DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
    EMBEDDED_DATABASE_PORT: String(await freePort()),
  };
  console.log(`generator: in a fresh clone in ${workspace}`);
  try {
    step('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], clone, env);
    step('npm', ['run', 'generate:resource', '--', ...PLAIN], clone, env);
    step('npm', ['run', 'generate:resource', '--', ...TENANT], clone, env);
    for (const resource of EVERYDAY) step('npm', ['run', 'generate:resource', '--', ...resource], clone, env);
    step('npm', ['run', 'db:migrate'], clone, env);
    await twoTenantsThroughNpmStart(clone, env);
    step('npm', ['test'], clone, env);
    step('npm', ['run', 'lint'], clone, env);
    step('npm', ['run', 'typecheck'], clone, env);
    console.log(
      `generator: the generated resources pass migrate, test, lint and typecheck (${Math.round((Date.now() - started) / 1000)} s)`,
    );
  } catch (error) {
    console.error(`generator check FAILED: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
    // As root the embedded data directory may have moved out of the clone (lib/keel/db/embedded-placement.ts).
    fs.rmSync(relocatedDataDir(path.join(clone, '.data', 'postgres')), { recursive: true, force: true });
  }
}

if (require.main === module) void main();

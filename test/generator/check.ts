// Proves that what `npm run generate:resource` writes passes keel's own checks, untouched: in a
// throw-away clone it generates a plain and a --tenant resource, migrates, runs the whole suite
// (the generated tests with it), lint and typecheck, then deletes the clone. Any failure exits 1
// with the step's output. `npm run test:generator`; CI runs it.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import { relocatedDataDir } from '../../db/embedded-placement';
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
    ...(process.env.TEST_DATABASE_URL ? { TEST_DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
    EMBEDDED_DATABASE_PORT: String(await freePort()),
  };
  console.log(`generator: in a fresh clone in ${workspace}`);
  try {
    step('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], clone, env);
    step('npm', ['run', 'generate:resource', '--', ...PLAIN], clone, env);
    step('npm', ['run', 'generate:resource', '--', ...TENANT], clone, env);
    step('npm', ['run', 'db:migrate'], clone, env);
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
    // As root the embedded data directory may have moved out of the clone (db/embedded-placement.ts).
    fs.rmSync(relocatedDataDir(path.join(clone, '.data', 'postgres')), { recursive: true, force: true });
  }
}

if (require.main === module) void main();

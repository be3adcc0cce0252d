// Follows the README's quickstart literally on a fresh clone, as a newcomer would: the first
// command of "The two commands" (install and start), then both health endpoints, then Ctrl-C.
// `npm run test:quickstart`; CI runs it. It fails when the README's commands stop working.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import { freePort } from '../support/database';
import { httpRequest } from '../support/http';

const START_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 30_000;

/** The first shell command of the README's "The two commands" section, comments removed. */
export function quickstartCommand(readme: string): string {
  const section = readme.slice(readme.indexOf('## The two commands'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  const line = block
    ?.split('\n')
    .map((text) => text.replace(/#.*$/, '').trim())
    .find(Boolean);
  if (!line) throw new Error('the README has no ```sh block under "## The two commands"');
  return line;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForHealth(port: number, deadline: number, exited: () => boolean): Promise<void> {
  for (;;) {
    if (exited()) throw new Error('the quickstart command exited before the service answered');
    const [health, database] = await Promise.all([
      httpRequest(port, '/health', 'GET', 2_000).catch(() => undefined),
      httpRequest(port, '/health/db', 'GET', 2_000).catch(() => undefined),
    ]);
    if (health?.status === 200 && database?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`no 200 from /health and /health/db on port ${port} in time`);
    await sleep(500);
  }
}

async function main(): Promise<void> {
  const root = projectRoot();
  const command = quickstartCommand(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-quickstart-'));
  // PostgreSQL runs as the unprivileged postgres user when this runs as root: it must reach the clone.
  fs.chmodSync(workspace, 0o755);
  const clone = path.join(workspace, 'keel');
  execFileSync('git', ['clone', '--quiet', root, clone]);
  const port = await freePort();
  // The README's defaults (3000, 54329) may be taken on a shared machine; PORT and
  // EMBEDDED_DATABASE_PORT are the documented way to move them.
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? workspace,
    PORT: String(port),
    EMBEDDED_DATABASE_PORT: String(await freePort()),
  };
  console.log(`quickstart: in a fresh clone, running \`${command}\` (PORT=${port})`);
  const started = Date.now();
  const child = spawn('bash', ['-c', command], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  try {
    await waitForHealth(port, started + START_TIMEOUT_MS, () => exitCode !== undefined);
    console.log(`quickstart: /health and /health/db answered 200 after ${Math.round((Date.now() - started) / 1000)} s`);
    // Ctrl-C in a terminal signals the whole foreground process group.
    process.kill(-(child.pid as number), 'SIGINT');
    const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
    if (!stopped) throw new Error('the service did not stop within 30 s of Ctrl-C');
    const leftover = path.join(clone, '.data', 'postgres', 'postmaster.pid');
    if (fs.existsSync(leftover)) throw new Error('the embedded PostgreSQL was left running after Ctrl-C');
    console.log('quickstart: stopped cleanly on Ctrl-C; the test command is the one CI runs (npm test)');
  } catch (error) {
    if (exitCode === undefined) process.kill(-(child.pid as number), 'SIGKILL');
    console.error(`quickstart FAILED: ${(error as Error).message}\n--- output ---\n${output}`);
    process.exitCode = 1;
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

if (require.main === module) void main();

// Follows the README's quickstart literally on a fresh clone, as a newcomer would: the first
// command of "The two commands" (install and start), then both health endpoints, then Ctrl-C;
// then the second command (the test command). The clone sits in a mode-700 directory: run as
// root (containers, dev boxes), PostgreSQL runs as the user "postgres", which cannot reach it.
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
// Well under SHUTDOWN_TIMEOUT_MS (25 s by default): a shutdown that only ends at its deadline (exit 1,
// something was stuck) misses this bound too, not just one that never ends.
const STOP_TIMEOUT_MS = 10_000;
const TEST_TIMEOUT_MS = 300_000;
/**
 * The suite's root hook starts its embedded PostgreSQL for any selection of tests: these few
 * (real queries through it) prove that path without running the whole suite a second time.
 */
const TEST_SELECTION = '^GET /health/db';

/** The shell commands of the README's "The two commands" section, comments removed. */
export function readmeCommands(readme: string): string[] {
  const section = readme.slice(readme.indexOf('## The two commands'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  const lines = (block ?? '')
    .split('\n')
    .map((text) => text.replace(/#.*$/, '').trim())
    .filter(Boolean);
  if (lines.length < 2) throw new Error('the README has no ```sh block with two commands under "## The two commands"');
  return lines;
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

interface Run {
  readonly child: ReturnType<typeof spawn>;
  output(): string;
  exitCode(): number | null | undefined;
  readonly exited: Promise<number | null>;
}

/** Runs a shell command in its own process group (as a terminal's foreground job). */
function runCommand(command: string, cwd: string, env: NodeJS.ProcessEnv): Run {
  const child = spawn('bash', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (exitCode) => {
      code = exitCode;
      resolve(exitCode);
    }),
  );
  return { child, output: () => output, exitCode: () => code, exited };
}

/** The promise's value, or 'timeout' after ms (the timer does not keep the process alive). */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref())]);

/** The embedded PostgreSQL's data directory, from the server's "embedded PostgreSQL started" log line. */
function startedDataDir(output: string): string {
  const dataDir = /embedded PostgreSQL started \{[^\n]*"dataDir":"([^"]+)"/.exec(output)?.[1];
  if (!dataDir) throw new Error('no "embedded PostgreSQL started" line with its dataDir in the output');
  return dataDir;
}

async function startAndStop(
  command: string,
  clone: string,
  env: NodeJS.ProcessEnv,
  port: number,
  found: { dataDir?: string },
): Promise<void> {
  console.log(`quickstart: in a fresh clone, running \`${command}\` (PORT=${port})`);
  const started = Date.now();
  const run = runCommand(command, clone, env);
  try {
    await waitForHealth(port, started + START_TIMEOUT_MS, () => run.exitCode() !== undefined);
    console.log(`quickstart: /health and /health/db answered 200 after ${Math.round((Date.now() - started) / 1000)} s`);
    const dataDir = startedDataDir(run.output());
    found.dataDir = dataDir;
    // Ctrl-C in a terminal signals the whole foreground process group.
    process.kill(-(run.child.pid as number), 'SIGINT');
    const code = await within(run.exited, STOP_TIMEOUT_MS);
    if (code === 'timeout') throw new Error(`the service did not stop within ${STOP_TIMEOUT_MS / 1000} s of Ctrl-C`);
    if (code !== 0) throw new Error(`\`${command}\` exited with code ${code} after Ctrl-C, not 0`);
    if (fs.existsSync(path.join(dataDir, 'postmaster.pid')))
      throw new Error(`the embedded PostgreSQL (${dataDir}) was left running after Ctrl-C`);
    console.log(`quickstart: stopped cleanly on Ctrl-C (exit code 0); its data was in ${dataDir}`);
  } catch (error) {
    if (run.exitCode() === undefined) process.kill(-(run.child.pid as number), 'SIGKILL');
    throw new Error(`${(error as Error).message}\n--- output ---\n${run.output()}`);
  }
}

async function runTests(command: string, clone: string, env: NodeJS.ProcessEnv): Promise<void> {
  const selected = `${command} -- --grep '${TEST_SELECTION}'`;
  console.log(`quickstart: running \`${selected}\` (TMPDIR in a mode-700 directory too)`);
  const run = runCommand(selected, clone, env);
  const code = await within(run.exited, TEST_TIMEOUT_MS);
  if (code === 'timeout') process.kill(-(run.child.pid as number), 'SIGKILL');
  const passing = Number(/(\d+) passing/.exec(run.output())?.[1] ?? 0);
  if (code !== 0 || passing === 0)
    throw new Error(`\`${selected}\` ended with ${code} and ${passing} passing\n--- output ---\n${run.output()}`);
  console.log(`quickstart: the test command passed (${passing} tests on the suite's own embedded PostgreSQL)`);
}

async function main(): Promise<void> {
  const root = projectRoot();
  const [startCommand, testCommand] = readmeCommands(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
  // mkdtemp makes it mode 700: as root, out of the postgres user's reach.
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-quickstart-'));
  const tmp = path.join(workspace, 'tmp');
  fs.mkdirSync(tmp, { mode: 0o700 });
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
  const asRoot = process.getuid?.() === 0 ? 'as root, ' : '';
  console.log(`quickstart: ${asRoot}in ${workspace} (mode ${(fs.statSync(workspace).mode & 0o777).toString(8)})`);
  const found: { dataDir?: string } = {};
  try {
    await startAndStop(startCommand as string, clone, env, port, found);
    await runTests(testCommand as string, clone, { ...env, TMPDIR: tmp });
  } catch (error) {
    console.error(`quickstart FAILED: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
    // Moved out of the clone when the postgres user could not reach it: not deleted with it.
    if (found.dataDir && !found.dataDir.startsWith(workspace)) fs.rmSync(found.dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) void main();

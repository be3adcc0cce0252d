import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../../config/project';

/** The example configuration the docs give for keel behind HAProxy. */
export const EXAMPLE_CONFIG = path.join(projectRoot(), 'docs', 'haproxy.cfg');

/** Debian installs haproxy in /usr/sbin, which is not on an ordinary user's PATH. */
const SBIN_DIRECTORIES = ['/usr/local/sbin', '/usr/sbin'];

let binary: string | undefined;

/** The haproxy binary; fails loudly, never skips: a balancer test that cannot run must not look green. */
export function requireHaproxy(): string {
  const directories = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN_DIRECTORIES];
  for (const directory of directories) {
    const candidate = path.join(directory, 'haproxy');
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' });
      binary = candidate;
      return candidate;
    } catch {
      // Not there (or not runnable): try the next directory.
    }
  }
  throw new Error(
    'haproxy is not installed (looked on PATH and in /usr/sbin): this test runs a real HAProxy. Install it ' +
      '(Debian/Ubuntu: apt-get install haproxy; .ci/run does) and run it again.',
  );
}

/** Replaces every match of pattern, failing when there is none: the example must keep the shape the test relies on. */
function rewrite(config: string, pattern: RegExp, replacement: string | ((match: string, ...groups: string[]) => string)): string {
  if (!pattern.test(config)) throw new Error(`${EXAMPLE_CONFIG} has no line matching ${pattern}`);
  pattern.lastIndex = 0;
  return config.replace(pattern, replacement as (match: string, ...groups: string[]) => string);
}

export interface ExampleSettings {
  /** The check interval, failures and check timeout, in ms and counts, as the example sets them. */
  readonly interMs: number;
  readonly fall: number;
  readonly checkTimeoutMs: number;
  /** The SHUTDOWN_DRAIN_DELAY_MS the example recommends. */
  readonly drainDelayMs: number;
}

function milliseconds(value: string): number {
  const match = /^(\d+)(ms|s)?$/.exec(value);
  if (!match) throw new Error(`cannot read the duration ${value} in ${EXAMPLE_CONFIG}`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

function setting(config: string, pattern: RegExp): string {
  const value = pattern.exec(config)?.[1];
  if (value === undefined) throw new Error(`${EXAMPLE_CONFIG} has no line matching ${pattern}`);
  return value;
}

/** What the example says about checks and the drain delay it recommends. */
export function exampleSettings(config: string): ExampleSettings {
  return {
    interMs: milliseconds(setting(config, /^\s*default-server\b.*\binter (\S+)/m)),
    fall: Number(setting(config, /^\s*default-server\b.*\bfall (\d+)/m)),
    checkTimeoutMs: milliseconds(setting(config, /^\s*timeout check (\S+)/m)),
    drainDelayMs: Number(setting(config, /^#\s*SHUTDOWN_DRAIN_DELAY_MS=(\d+)\s*$/m)),
  };
}

export interface LocalAddresses {
  readonly frontendPort: number;
  /** One port per `server` line of the example, in order. */
  readonly serverPorts: readonly number[];
  readonly statsSocket: string;
  /** Drop the example's retries (retries 0), to show what they are for. */
  readonly withoutRetries?: boolean;
}

/**
 * The example configuration moved onto 127.0.0.1: the frontend and each server on the given ports,
 * a stats socket to read server states from, and only HAProxy's own notices logged (not one line per request).
 */
export function localConfig(config: string, local: LocalAddresses): string {
  const serverLines = config.match(/^\s*server\s.*$/gm) ?? [];
  if (serverLines.length !== local.serverPorts.length) {
    throw new Error(`${EXAMPLE_CONFIG} declares ${serverLines.length} servers, the test expects ${local.serverPorts.length}`);
  }
  let index = 0;
  let result = rewrite(config, /^(\s*server\s+\S+\s+)\S+/gm, (_, head: string) => `${head}127.0.0.1:${local.serverPorts[index++]}`);
  result = rewrite(result, /^(\s*bind\s+)\S+/gm, (_, head: string) => `${head}127.0.0.1:${local.frontendPort}`);
  result = rewrite(result, /^(\s*log stdout .*)$/m, (_, line: string) => `${line} notice`);
  result = rewrite(result, /^global\s*$/m, `global\n    stats socket ${local.statsSocket} mode 600 level admin`);
  if (local.withoutRetries) {
    result = rewrite(result, /^(\s*)retries\s+\d+/m, (_, indent: string) => `${indent}retries 0`);
    result = rewrite(result, /^\s*(retry-on|option redispatch)\b.*$/gm, '');
  }
  return result;
}

export interface ServerState {
  /** UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (going up), MAINT... */
  readonly status: string;
  /** The last check's result: L7OK, L7STS (wrong status), L4CON (refused)... */
  readonly checkStatus: string;
}

export interface Haproxy {
  /** The states of the backend's servers, by name, from the stats socket. */
  servers(backend: string): Promise<Map<string, ServerState>>;
  /** What HAProxy wrote lately (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

function ask(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(socketPath, () => socket.end(`${command}\n`));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parseStats(csv: string, backend: string): Map<string, ServerState> {
  const [header, ...rows] = csv.trim().split('\n');
  const columns = (header ?? '').replace(/^# /, '').split(',');
  const column = (name: string): number => columns.indexOf(name);
  const states = new Map<string, ServerState>();
  for (const row of rows) {
    const cells = row.split(',');
    const server = cells[column('svname')] ?? '';
    if (cells[column('pxname')] !== backend || server === 'BACKEND') continue;
    states.set(server, { status: cells[column('status')] ?? '', checkStatus: cells[column('check_status')] ?? '' });
  }
  return states;
}

const TAIL_CHARS = 20_000;

/** Runs haproxy in the foreground on the given configuration; resolves once its stats socket answers. */
export async function startHaproxy(config: string, statsSocket: string, timeoutMs = 10_000): Promise<Haproxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-haproxy-'));
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(file, config);
  const child: ChildProcess = spawn(binary ?? requireHaproxy(), ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`haproxy exited with code ${child.exitCode}:\n${tail}`);
    }
    const answered = await ask(statsSocket, 'show info').then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`haproxy's stats socket did not answer within ${timeoutMs} ms:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    servers: async (backend) => parseStats(await ask(statsSocket, 'show stat'), backend),
    output: () => tail,
    stop,
  };
}

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import { registerSentinel, watchOutput } from './sentinels';

export const WWW = path.join(projectRoot(), 'dist', 'bin', 'www.js');

export interface ServerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until output matches, or fails after timeoutMs with the output so far. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Kills the process if it is still running and waits for it to end. */
  kill(): Promise<void>;
}

/** Spawns the built bin/www (or another copy of it: script) with exactly the given environment (plus PATH). */
export function spawnServer(env: Record<string, string>, script: string = WWW): ServerProcess {
  const child = spawn(process.execPath, [script], {
    cwd: path.dirname(path.dirname(path.dirname(script))),
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  // Scanned for secrets by the root hooks, for as long as the process runs (test/support/sentinels.ts).
  let closed = false;
  child.on('close', () => (closed = true));
  watchOutput(
    `bin/www (pid ${child.pid ?? '?'})`,
    () => output,
    () => closed,
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      for (const listener of listeners) listener();
    });
  });

  return {
    child,
    output: () => output,
    exited,
    waitForOutput(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = output.match(pattern);
          if (match) {
            done();
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`process exited before ${pattern} appeared; output:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output:\n${output}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Spawns bin/www in production mode on an OS-chosen port and waits for its "listening" line. */
export async function startProductionServer(env: Record<string, string>): Promise<ServerProcess & { port: number }> {
  const server = spawnServer({ NODE_ENV: 'production', PORT: '0', LOG_LEVEL: 'info', ...env });
  try {
    const [, port] = await server.waitForOutput(/"message":"listening"[^\n]*"port":(\d+)/);
    return Object.assign(server, { port: Number(port) });
  } catch (error) {
    await server.kill();
    throw error;
  }
}

/** The JSON log lines a production-mode server has written so far. */
export function logEntries(server: Pick<ServerProcess, 'output'>): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export const TEST_SECRET_KEY = 'k3J9vQ2xT7mN4pL8wR1zY6cB5hF0dG3s';
registerSentinel(TEST_SECRET_KEY, 'TEST_SECRET_KEY');

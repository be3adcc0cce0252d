// A Node script as a separate process: spawn it, collect its output, wait for a line, signal it,
// stop it. Shared by the suite (test/support/process.ts) and the bench (bench/keel.ts), so it imports
// nothing of ours. Only processes spawned here are ever signalled, by PID.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** The JSON log line bin/www (and the bench's baselines) write once the port is bound, its fields in any order. */
export const LISTENING = /^(?=.*"message":"listening").*"port":(\d+)/m;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From the last signal() (or the spawn, when it exited by itself) to the exit event. */
  readonly afterMs: number;
}

export interface NodeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** Everything written to stdout and stderr so far (the last keepOutputChars of it, when bounded). */
  output(): string;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  readonly exited: Promise<Exit>;
  /** Waits until output matches, or fails after timeoutMs with the output so far. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends the signal now (if still running) and returns when it was sent (performance.now() clock). */
  signal(signal: NodeJS.Signals): number;
  /** Sends SIGTERM and waits for the exit; SIGKILL after graceMs. */
  stop(graceMs: number): Promise<Exit>;
  /** Kills the process if it is still running and waits for it to end. */
  kill(): Promise<void>;
}

export interface NodeProcessOptions {
  readonly cwd: string;
  /** Exactly the environment the process gets, plus PATH. */
  readonly env: Record<string, string>;
  /** Keep only the last this many characters of output (a process under long load writes a lot). */
  readonly keepOutputChars?: number;
}

/** The processes spawned here that have not exited yet. */
const live = new Set<ChildProcessWithoutNullStreams>();

/** SIGKILLs every process spawned here that is still running (each by its own PID). */
export function killSpawnedProcesses(): void {
  for (const child of live) child.kill('SIGKILL');
}

export function spawnNodeProcess(script: string, options: NodeProcessOptions): NodeProcess {
  const child = spawn(process.execPath, [script], { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', ...options.env } });
  if (child.pid === undefined) throw new Error(`${script}: spawn failed`);
  const pid = child.pid;
  live.add(child);
  child.on('exit', () => live.delete(child));
  const keep = options.keepOutputChars ?? Number.POSITIVE_INFINITY;
  let output = '';
  let signalledAt = performance.now();
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > keep) output = output.slice(-keep);
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal, afterMs: performance.now() - signalledAt });
      for (const listener of listeners) listener();
    });
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const signal = (name: NodeJS.Signals): number => {
    signalledAt = performance.now();
    if (running()) child.kill(name);
    return signalledAt;
  };

  return {
    child,
    pid,
    output: () => output,
    exited,
    waitForOutput(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = output.match(pattern);
          if (match) {
            done();
            resolve(match);
          } else if (!running()) {
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
    signal,
    async stop(graceMs) {
      if (!running()) return exited;
      signal('SIGTERM');
      const timer = setTimeout(() => {
        if (running()) child.kill('SIGKILL');
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Waits for the "listening" line and returns the port; kills the process if it never comes. */
export async function waitForListening(server: NodeProcess, timeoutMs?: number): Promise<number> {
  try {
    const [, port] = await server.waitForOutput(LISTENING, timeoutMs);
    return Number(port);
  } catch (error) {
    await server.kill();
    throw error;
  }
}

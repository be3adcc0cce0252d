// A server under test as a separate process: spawn, wait for its "listening" line, read its CPU
// time from /proc, stop it with a signal. Only processes spawned here are ever signalled, by PID.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';

const LISTENING = /"message":"listening"[^\n]*"port":(\d+)/;
const KEEP_OUTPUT_CHARS = 64 * 1024;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From the signal sent by stop() (or from the spawn when it exited by itself) to the exit event. */
  readonly afterMs: number;
}

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly child: ChildProcessWithoutNullStreams;
  /** The last 64 KiB of stdout and stderr. */
  output(): string;
  readonly exited: Promise<Exit>;
  /** Sends the signal now and returns when it was sent (performance.now() clock). */
  signal(signal: NodeJS.Signals): number;
  /** Sends SIGTERM and waits for the exit; SIGKILL after graceMs. */
  stop(graceMs: number): Promise<Exit>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly script: string;
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly startTimeoutMs?: number;
}

/** The servers this process spawned and that have not exited yet. */
const live = new Set<ChildProcessWithoutNullStreams>();

/** SIGKILLs every server this process spawned that is still running (each by its own PID). */
export function killSpawnedServers(): void {
  for (const child of live) child.kill('SIGKILL');
}

export async function startServer(options: SpawnOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, [options.script], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
  });
  if (child.pid === undefined) throw new Error(`${options.name}: spawn failed`);
  const pid = child.pid;
  live.add(child);
  child.on('exit', () => live.delete(child));
  let output = '';
  let signalledAt = performance.now();
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-KEEP_OUTPUT_CHARS);
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

  const port = await new Promise<number>((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 20_000;
    const check = (): void => {
      const match = LISTENING.exec(output);
      if (match) return done(() => resolve(Number(match[1])));
      if (!running()) done(() => reject(new Error(`${options.name} exited before listening; output:\n${output}`)));
    };
    const timer = setTimeout(
      () => done(() => reject(new Error(`${options.name} not listening after ${timeoutMs} ms:\n${output}`))),
      timeoutMs,
    );
    const done = (settle: () => void): void => {
      clearTimeout(timer);
      listeners.delete(check);
      settle();
    };
    listeners.add(check);
    check();
  }).catch(async (error: unknown) => {
    if (running()) child.kill('SIGKILL');
    await exited;
    throw error;
  });

  const signal = (name: NodeJS.Signals): number => {
    signalledAt = performance.now();
    if (running()) child.kill(name);
    return signalledAt;
  };

  return {
    name: options.name,
    pid,
    port,
    child,
    output: () => output,
    exited,
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
  };
}

let clockTicks: number | undefined;

/** Clock ticks per second for /proc/<pid>/stat (getconf CLK_TCK; 100 on Linux almost always). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const parsed = Number(result.stdout?.trim());
    clockTicks = Number.isInteger(parsed) && parsed > 0 ? parsed : 100;
  }
  return clockTicks;
}

interface Stat {
  readonly ppid: number;
  readonly ticks: number;
}

function readStat(pid: number): Stat | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // Gone in the meantime.
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 4 (ppid), 14 (utime) and 15 (stime) of the whole line are 1, 11 and 12 after the name.
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/**
 * User + system CPU time of a process, all its threads and its live descendants (cluster workers,
 * if any), in microseconds. Linux only: read from /proc/<pid>/stat.
 */
export function processCpuMicros(pid: number): number {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) parents.set(stat.ppid, [...(parents.get(stat.ppid) ?? []), Number(entry)]);
  }
  let ticks = 0;
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    ticks += readStat(next)?.ticks ?? 0;
    pending.push(...(parents.get(next) ?? []));
  }
  return (ticks * 1_000_000) / clockTicksPerSecond();
}

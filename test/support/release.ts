import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import { KEEL_MIGRATION_FILES, migrationsDirectory } from './migrations';
import { watchOutput } from './sentinels';

/** The Procfile's release command, exactly as the platform runs it. */
export function procfileReleaseCommand(): string {
  const procfile = fs.readFileSync(path.join(projectRoot(), 'Procfile'), 'utf8');
  const line = procfile.split('\n').find((entry) => entry.startsWith('release:'));
  if (!line) throw new Error('the Procfile has no release: line');
  return line.slice('release:'.length).trim();
}

export interface ReleaseRun {
  readonly pid: number | undefined;
  /** The exit code and everything written to stdout and stderr, once the command has ended. */
  readonly finished: Promise<{ code: number | null; output: string }>;
}

/**
 * Starts the Procfile's release command in a shell from the project root, with exactly env (PATH
 * from this process unless env sets it) and extra arguments appended (e.g. --migrations-path).
 */
export function startRelease(env: Record<string, string>, args: readonly string[] = []): ReleaseRun {
  const child = spawn('/bin/sh', ['-c', `${procfileReleaseCommand()} "$@"`, 'release', ...args], {
    cwd: projectRoot(),
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let closed = false;
  watchOutput(
    `release (pid ${child.pid ?? '?'})`,
    () => output,
    () => closed,
  );
  const finished = new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      closed = true;
      resolve({ code, output });
    });
  });
  return { pid: child.pid, finished };
}

/** Runs the release command to the end. */
export function runRelease(env: Record<string, string>, args: readonly string[] = []): Promise<{ code: number | null; output: string }> {
  return startRelease(env, args).finished;
}

export interface MigrationsDirectory {
  readonly path: string;
  /** The --migrations-path arguments that point sequelize-cli here. */
  readonly args: readonly string[];
  /** Writes one migration file (CommonJS source). */
  add(name: string, source: string): void;
  remove(): void;
}

/** A temporary migrations directory, optionally starting with a copy of keel's own migrations (not a checkout's resources'). */
export function temporaryMigrations(options: { withKeelMigrations: boolean }): MigrationsDirectory {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-migrations-'));
  if (options.withKeelMigrations) {
    for (const file of KEEL_MIGRATION_FILES) fs.copyFileSync(path.join(migrationsDirectory(), file), path.join(dir, file));
  }
  return {
    path: dir,
    args: ['--migrations-path', dir],
    add: (name, source) => fs.writeFileSync(path.join(dir, name), source),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

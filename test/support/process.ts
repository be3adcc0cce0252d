import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import { spawnNodeProcess, waitForListening, type NodeProcess } from './node-process';
import { watchOutput } from './sentinels';

export const WWW = path.join(projectRoot(), 'dist', 'bin', 'www.js');

export type ServerProcess = NodeProcess;

/**
 * Spawns the built bin/www (or the one of a staged copy, see stageProjectCopy) with exactly the given
 * environment (plus PATH, and DATABASE_SSL=off unless given: the suite's PostgreSQL speaks plaintext,
 * which production mode refuses by default).
 */
export function spawnServer(env: Record<string, string>, www: string = WWW): ServerProcess {
  const server = spawnNodeProcess(www, { cwd: path.dirname(path.dirname(path.dirname(www))), env: { DATABASE_SSL: 'off', ...env } });
  // Scanned for secrets by the root hooks, for as long as the process runs (test/support/sentinels.ts).
  let closed = false;
  server.child.on('close', () => (closed = true));
  watchOutput(`bin/www (pid ${server.pid})`, server.output, () => closed);
  return server;
}

/** Spawns bin/www in production mode on an OS-chosen port and waits for its "listening" line. */
export async function startProductionServer(env: Record<string, string>): Promise<ServerProcess & { port: number }> {
  const server = spawnServer({ NODE_ENV: 'production', PORT: '0', LOG_LEVEL: 'info', ...env });
  return Object.assign(server, { port: await waitForListening(server) });
}

/** The JSON log lines a production-mode server has written so far. */
export function logEntries(server: Pick<ServerProcess, 'output'>): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * A copy of the built project in a new directory (dist, config, migrations, package.json, .sequelizerc; node_modules
 * linked), for a test that needs files at the project root (.env) without touching the real one. Returns the
 * copy's bin/www; remove the directory afterwards.
 */
export function stageProjectCopy(dir: string): string {
  const root = projectRoot();
  for (const part of ['dist', 'package.json', '.sequelizerc', 'config', path.join('db', 'migrations')]) {
    fs.cpSync(path.join(root, part), path.join(dir, part), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'dist', 'bin', 'www.js');
}

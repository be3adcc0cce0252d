import { spawn } from 'node:child_process';
import { projectRoot } from '../config/project';

export type MigrationCommand = 'db:migrate' | 'db:migrate:undo' | 'db:migrate:undo:all' | 'db:seed:all' | 'db:seed:undo:all';

export interface CliResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * Runs a sequelize-cli command in a child process, the same way the Procfile's release phase
 * does, so development and production apply migrations through one path.
 */
export function runSequelizeCli(command: MigrationCommand, env: NodeJS.ProcessEnv, cwd: string = projectRoot()): Promise<CliResult> {
  const cli = require.resolve('sequelize-cli/lib/sequelize');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

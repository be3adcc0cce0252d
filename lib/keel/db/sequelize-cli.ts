import { spawn } from 'node:child_process';
import { cliOptions } from '../../../config/database';
import { projectRoot } from '../../../config/project';
import { withMigrationLock, type MigrationLockOptions } from './migration-lock';

export type MigrationCommand = 'db:migrate' | 'db:migrate:undo' | 'db:migrate:undo:all' | 'db:seed:all' | 'db:seed:undo:all';

export interface CliResult {
  readonly code: number | null;
  readonly output: string;
}

export interface CliOptions extends MigrationLockOptions {
  /** Passed to sequelize-cli after the command (e.g. --to, --name, --migrations-path). */
  readonly args?: readonly string[];
  /** The project whose .sequelizerc and migrations to use (default: this one). */
  readonly cwd?: string;
  /**
   * Fires when the run must stop (the release was sent SIGTERM): the CLI child is sent SIGTERM too,
   * so no migration goes on running on its own, and the run ends once the child has exited.
   */
  readonly stop?: AbortSignal;
}

/** The sequelize-cli entry point installed with keel: never one fetched from the registry. */
export function sequelizeCliPath(): string {
  return require.resolve('sequelize-cli/lib/sequelize', { paths: [projectRoot()] });
}

function spawnCli(command: MigrationCommand, env: NodeJS.ProcessEnv, options: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // Stopped while it waited for the migration lock: nothing was started, nothing is.
    if (options.stop?.aborted) {
      resolve({ code: null, output: `keel: ${command} was stopped before it started\n` });
      return;
    }
    const child = spawn(process.execPath, [sequelizeCliPath(), command, ...(options.args ?? [])], {
      cwd: options.cwd ?? projectRoot(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forwardStop = (): void => {
      child.kill('SIGTERM');
    };
    options.stop?.addEventListener('abort', forwardStop, { once: true });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      options.stop?.removeEventListener('abort', forwardStop);
      resolve({ code, output: signal ? `${output}keel: ${command} was stopped (${signal}) before it finished\n` : output });
    });
  });
}

const TIMEOUT_HINTS: readonly [pattern: RegExp, hint: (env: ReturnType<typeof cliOptions>) => string][] = [
  [
    /canceling statement due to lock timeout/,
    ({ dialectOptions }) =>
      `keel: a migration statement waited more than MIGRATE_LOCK_TIMEOUT_MS (${dialectOptions.lock_timeout} ms) for a lock other ` +
      'sessions held, and gave up so that queries behind it were not stalled; nothing of that migration was applied. Run the ' +
      'release again when the long transaction is over, or raise MIGRATE_LOCK_TIMEOUT_MS.',
  ],
  [
    /canceling statement due to statement timeout/,
    ({ dialectOptions }) =>
      `keel: a migration statement ran longer than MIGRATE_STATEMENT_TIMEOUT_MS (${dialectOptions.statement_timeout} ms) and ` +
      'was cancelled. Raise MIGRATE_STATEMENT_TIMEOUT_MS for this release if the migration is meant to take that long.',
  ],
];

/**
 * Runs a sequelize-cli command in a child process, holding keel's migration lock (a PostgreSQL
 * advisory lock) for the whole run, so two releases started at once apply each migration once:
 * the second waits, then finds nothing pending. The release phase (Procfile), `npm run db:migrate`
 * and the embedded database's migrations all run through here.
 */
export async function runSequelizeCli(command: MigrationCommand, env: NodeJS.ProcessEnv, options: CliOptions = {}): Promise<CliResult> {
  let settings: ReturnType<typeof cliOptions>;
  let result: CliResult;
  try {
    settings = cliOptions(env);
    result = await withMigrationLock(settings, options, () => spawnCli(command, env, options));
  } catch (error) {
    // Bad settings, or no connection for the lock: the command did not run. Messages name
    // variables and causes, never a value (config/database.js, pg's own errors).
    return { code: 1, output: `keel: ${command} did not run: ${error instanceof Error ? error.message : String(error)}\n` };
  }
  const hints = TIMEOUT_HINTS.filter(([pattern]) => pattern.test(result.output)).map(([, hint]) => hint(settings));
  return hints.length ? { ...result, output: `${result.output.trimEnd()}\n${hints.join('\n')}\n` } : result;
}

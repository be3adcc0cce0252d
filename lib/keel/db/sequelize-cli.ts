import { spawn } from 'node:child_process';
import { cliOptions } from '../../../config/database';
import { projectRoot } from '../../../config/project';
import { describeInterruption, interruptedExitCode, stopSignalOf } from './migration-interruption';
import { cancelRunStatements } from './migration-sessions';
import { MigrationLockWaitStopped, withMigrationLock, type LockSession, type MigrationLockOptions } from './migration-lock';

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
}

/** The sequelize-cli entry point installed with keel: never one fetched from the registry. */
export function sequelizeCliPath(): string {
  return require.resolve('sequelize-cli/lib/sequelize', { paths: [projectRoot()] });
}

function spawnCli(command: MigrationCommand, env: NodeJS.ProcessEnv, options: CliOptions, run: RunSessions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // Stopped before the CLI started: nothing ran.
    if (options.stop?.aborted) {
      resolve({ code: null, output: '' });
      return;
    }
    const child = spawn(process.execPath, [sequelizeCliPath(), command, ...(options.args ?? [])], {
      cwd: options.cwd ?? projectRoot(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The statement first, on the server (its locks go with the rollback); then the CLI, so that it starts no other.
    const forwardStop = (): void => {
      void cancelRunStatements(run.session, run.applicationName)
        .catch(() => undefined)
        .finally(() => child.kill('SIGTERM'));
    };
    options.stop?.addEventListener('abort', forwardStop, { once: true });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      options.stop?.removeEventListener('abort', forwardStop);
      const stopped = signal && !options.stop?.aborted ? `keel: ${command} was stopped (${signal}) before it finished\n` : '';
      resolve({ code, output: `${output}${stopped}` });
    });
  });
}

/** The migration lock's connection, and the application_name of the run's own sessions. */
interface RunSessions {
  readonly session: LockSession;
  readonly applicationName: string;
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
    const applicationName = settings.dialectOptions.application_name;
    result = await withMigrationLock(settings, options, async (session) => {
      const ran = await spawnCli(command, env, options, { session, applicationName });
      if (!options.stop?.aborted) return ran;
      const signal = stopSignalOf(options.stop);
      const code = interruptedExitCode(signal);
      const line = await describeInterruption(command, ran.output, { session, applicationName }, signal).catch(
        (error: unknown) =>
          `keel: ${command} interrupted by ${signal}; whether its statement still runs could not be checked (${error instanceof Error ? error.message : String(error)}): ` +
          `look for sessions named ${applicationName} in pg_stat_activity; exit ${code}`,
      );
      return { code, output: `${ran.output}${line}\n` };
    });
  } catch (error) {
    if (options.stop?.aborted) {
      const signal = stopSignalOf(options.stop);
      const code = interruptedExitCode(signal);
      const what =
        error instanceof MigrationLockWaitStopped
          ? 'while waiting for the migration lock: nothing ran'
          : `and the migration lock's connection failed (${error instanceof Error ? error.message : String(error)})`;
      return { code, output: `keel: ${command} interrupted by ${signal} ${what}; exit ${code}\n` };
    }
    // Bad settings, or no connection for the lock: the command did not run. Messages name
    // variables and causes, never a value (config/database.js, pg's own errors).
    return { code: 1, output: `keel: ${command} did not run: ${error instanceof Error ? error.message : String(error)}\n` };
  }
  const hints = TIMEOUT_HINTS.filter(([pattern]) => pattern.test(result.output)).map(([, hint]) => hint(settings));
  return hints.length ? { ...result, output: `${result.output.trimEnd()}\n${hints.join('\n')}\n` } : result;
}

import os from 'node:os';
import type { LockSession } from './migration-lock';
import { cancelRunStatements, isRecorded, waitForRunSessionsToEnd } from './migration-sessions';

/** A migration or seeder that sequelize-cli had started and not finished when the run was interrupted. */
export interface UnfinishedStep {
  /** Its name as sequelize-cli prints it (the file name without .js). */
  readonly name: string;
  readonly action: 'migrating' | 'reverting';
}

// sequelize-cli prints "== <name>: migrating =======" before a step and "== <name>: migrated (0.012s)" after it.
const STEP_LINE = /^== (.+): (migrating|migrated|reverting|reverted)\b/gm;

/** The step sequelize-cli announced last and never finished, from everything it printed. */
export function unfinishedStep(output: string): UnfinishedStep | undefined {
  let open: UnfinishedStep | undefined;
  for (const [, name = '', action] of output.matchAll(STEP_LINE)) {
    open = action === 'migrating' || action === 'reverting' ? { name, action } : undefined;
  }
  return open;
}

/** How long the run's sessions may outlive its CLI before they are terminated. */
const SESSION_END_GRACE_MS = 5_000;

/** The signal a stop was for (its reason), SIGTERM when it names none. */
export function stopSignalOf(stop: AbortSignal): NodeJS.Signals {
  const reason: unknown = stop.reason;
  return reason === 'SIGINT' || reason === 'SIGTERM' || reason === 'SIGHUP' ? reason : 'SIGTERM';
}

/** The shell's convention: 128 + the signal's number (SIGINT 130, SIGTERM 143). */
export const interruptedExitCode = (signal: NodeJS.Signals): number => 128 + os.constants.signals[signal];

/**
 * After an interrupted run's CLI has exited: makes sure nothing of the run goes on on the server (its
 * statement cancelled, its sessions gone, so what they had open is rolled back), reads whether the step
 * it was in is recorded, and says so in one line.
 */
export async function describeInterruption(
  command: string,
  output: string,
  run: { readonly session: LockSession; readonly applicationName: string },
  signal: NodeJS.Signals,
): Promise<string> {
  // Its CLI may have died of the same Ctrl-C before the first cancel went out: cancel again, then wait.
  await cancelRunStatements(run.session, run.applicationName);
  const terminated = await waitForRunSessionsToEnd(run.session, run.applicationName, SESSION_END_GRACE_MS);
  const seeding = command.startsWith('db:seed');
  const table = seeding ? 'SequelizeData' : 'SequelizeMeta';
  const step = unfinishedStep(output);
  let what: string;
  if (!step) {
    what = `no ${seeding ? 'seeder' : 'migration'} was running; those that finished before stay recorded in ${table}`;
  } else if (step.action === 'migrating') {
    what = (await isRecorded(run.session, table, step.name))
      ? `${step.name} had finished and is recorded in ${table}`
      : `${step.name} was cancelled on the server and its transaction rolled back; nothing was recorded in ${table}, so the next run applies it again`;
  } else {
    what = (await isRecorded(run.session, table, step.name))
      ? `reverting ${step.name} was cancelled on the server and its transaction rolled back; it is still recorded in ${table} as applied`
      : `${step.name} had been reverted and is no longer recorded in ${table}`;
  }
  const outlived = terminated.length > 0 ? ` (${terminated.length} session(s) that outlived the CLI were terminated)` : '';
  return `keel: ${command} interrupted by ${signal}: ${what}${outlived}; exit ${interruptedExitCode(signal)}`;
}

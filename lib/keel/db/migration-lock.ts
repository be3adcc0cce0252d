import { Client } from 'pg';
import type { cliOptions } from '../../../config/database';

/** The advisory lock key for migrations ("keel" in ASCII); advisory locks are per database. */
export const MIGRATION_LOCK_KEY = 0x6b65656c;

export interface MigrationLockOptions {
  /** Called once when another run holds the lock and this one starts waiting for it. */
  readonly onWait?: () => void;
  /**
   * Fires when the run must stop, its reason the signal's name ('SIGINT', 'SIGTERM'): a wait for the lock ends
   * at once (MigrationLockWaitStopped), nothing having run. runSequelizeCli then also cancels the running
   * statement on the server, stops the CLI child, and says in one line what was interrupted (exit 128 + the
   * signal's number).
   */
  readonly stop?: AbortSignal;
}

/** The lock's own connection, for what the run needs beside its work (cancelling that work's statements). */
export interface LockSession {
  query<R extends Record<string, unknown>>(sql: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** Thrown when the run was stopped while it waited for another run's lock: nothing of it ran. */
export class MigrationLockWaitStopped extends Error {
  constructor() {
    super('stopped while waiting for the migration lock');
    this.name = 'MigrationLockWaitStopped';
  }
}

type ConnectionSettings = Pick<ReturnType<typeof cliOptions>, 'host' | 'port' | 'username' | 'password' | 'database' | 'dialectOptions'>;

/**
 * Runs work while holding the migration lock on a dedicated connection. The lock is a session
 * lock: it is released on unlock, or by the server as soon as this connection ends for any reason,
 * so a release that dies never leaves it held. Waiting for it has no timeout (the session's
 * lock_timeout and statement_timeout are off, whatever the role's defaults): a wait on an advisory
 * lock blocks no other query, and the run that holds it is bounded by the migration timeouts.
 */
export async function withMigrationLock<T>(
  settings: ConnectionSettings,
  options: MigrationLockOptions,
  work: (session: LockSession) => Promise<T>,
): Promise<T> {
  const client = new Client({
    host: settings.host,
    port: settings.port,
    user: settings.username,
    password: settings.password,
    database: settings.database,
    ssl: settings.dialectOptions.ssl,
    connectionTimeoutMillis: settings.dialectOptions.connectionTimeoutMillis,
    keepAlive: true,
    application_name: `${settings.dialectOptions.application_name}-lock`,
    options: '-c lock_timeout=0 -c statement_timeout=0',
  });
  let lost: Error | undefined;
  // Without a listener a dropped connection would crash the process; the run notices below.
  client.on('error', (error) => (lost = error));
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY]);
    if (!rows[0]?.locked) {
      options.onWait?.();
      await waitForLock(client, options.stop);
    }
    const result = await work(client);
    if (lost) throw new Error(`the connection holding the migration lock was lost during the run: ${lost.message}`);
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    return result;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Waits for the lock; stopped meanwhile, it ends the connection (and so the wait) instead of waiting on. */
async function waitForLock(client: Client, stop: AbortSignal | undefined): Promise<void> {
  if (stop?.aborted) throw new MigrationLockWaitStopped();
  const endWait = (): void => void client.end().catch(() => undefined);
  stop?.addEventListener('abort', endWait, { once: true });
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  } catch (error) {
    if (stop?.aborted) throw new MigrationLockWaitStopped();
    throw error;
  } finally {
    stop?.removeEventListener('abort', endWait);
  }
}

import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { cancelTargetOf, sendCancelRequest } from './cancel';
import type { RawConnection } from './pool';

/** Request context for row-level security: each key becomes the setting app.<key>. */
export type RequestContext = Readonly<Record<string, string>>;

export interface UnitOfWorkOptions {
  /**
   * The request's signal: once it fires, the statement running in the transaction is cancelled on the
   * server and the transaction rolls back instead of committing. Already fired: the work never starts.
   */
  readonly signal?: AbortSignal;
}

const SETTING_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
// How long a cancel request may take to reach the server; the transaction waits for it before it ends.
const CANCEL_TIMEOUT_MS = 2_000;

/**
 * Runs work in one transaction whose request context (e.g. { user_id: '42' }) is visible to SQL
 * as current_setting('app.user_id', true), for RLS policies. The settings are transaction-local
 * (set_config(..., true)): they end with the commit or rollback, never reach the next user of
 * the connection, and are safe behind PgBouncer in transaction mode. Queries and model calls
 * inside work use the transaction without passing it (see db/context.ts).
 */
export async function runUnitOfWork<T>(
  sequelize: Sequelize,
  context: RequestContext,
  work: (transaction: Transaction) => Promise<T>,
  { signal }: UnitOfWorkOptions = {},
): Promise<T> {
  const entries = Object.entries(context);
  for (const [name] of entries) {
    if (!SETTING_NAME.test(name)) throw new TypeError(`request context key must match ${SETTING_NAME}: ${JSON.stringify(name)}`);
  }
  signal?.throwIfAborted();
  return sequelize.transaction(async (transaction) => {
    // It may have fired while the transaction waited for a connection.
    signal?.throwIfAborted();
    const cancelling = signal ? cancelStatementOnAbort(transaction, signal) : undefined;
    try {
      if (entries.length > 0) {
        const calls = entries.map((_, index) => `set_config($${2 * index + 1}, $${2 * index + 2}, true)`).join(', ');
        await sequelize.query(`SELECT ${calls}`, {
          bind: entries.flatMap(([name, value]) => [`app.${name}`, value]),
          type: QueryTypes.SELECT,
          transaction,
        });
      }
      const result = await work(transaction);
      // Throwing here is what makes Sequelize roll back instead of committing.
      signal?.throwIfAborted();
      return result;
    } catch (error) {
      // The signal is the cause (a cancelled statement is only its consequence): callers see its reason.
      signal?.throwIfAborted();
      throw error;
    } finally {
      await cancelling?.settled();
    }
  });
}

/**
 * On abort, cancels whatever the transaction's connection is running with a CancelRequest (db/cancel.ts):
 * a new connection that needs no pool slot (pg_cancel_backend would need one, from a pool that may
 * be exhausted at that very moment) and no authentication. A cancel that arrives while the backend
 * is idle is ignored by the server. settled() waits until the server has taken the request, so that it
 * cannot land on the ROLLBACK (or on a later user of the connection) instead.
 */
function cancelStatementOnAbort(transaction: Transaction, signal: AbortSignal): { settled(): Promise<void> } {
  let sent: Promise<boolean> | undefined;
  const onAbort = (): void => {
    // Sequelize keeps the pg client the transaction holds on the transaction (not in its typings).
    const connection = (transaction as unknown as { connection?: RawConnection }).connection;
    const target = connection && cancelTargetOf(connection);
    if (target) sent = sendCancelRequest(target, CANCEL_TIMEOUT_MS);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return {
    async settled() {
      signal.removeEventListener('abort', onAbort);
      await sent;
    },
  };
}

import { escapeLiteral } from 'pg';
import type { QueryInterface, QueryOptions, Sequelize, Transaction, TransactionOptions } from 'sequelize';
import { cancelTargetOf, sendCancelRequest } from './cancel';
import type { RawConnection } from './pool';
import { statementSender } from './transaction-statements';
import { deferBegin, takeDeferredBegin, throwIfWorkAborted, watchSignal, type DeferredBegin } from './work-state';

/** Settings for row-level security, local to one transaction: each key becomes the setting app.<key>. */
export type TransactionSettings = Readonly<Record<string, string>>;

export interface UnitOfWorkOptions {
  /**
   * The request's signal: once it fires, the statement running in the transaction is cancelled on the
   * server, any later statement of the work is refused before it is sent, and the transaction rolls back
   * instead of committing. Already fired: the work never starts.
   */
  readonly signal?: AbortSignal;
}

const SETTING_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
// How long a cancel request may take to reach the server; the transaction waits for it before it ends.
const CANCEL_TIMEOUT_MS = 2_000;

/**
 * Runs work in one transaction whose settings (e.g. { user_id: '42' }) are visible to SQL
 * as current_setting('app.user_id', true), for RLS policies. The settings are transaction-local
 * (set_config(..., true)): they end with the commit or rollback, never reach the next user of
 * the connection, and are safe behind PgBouncer in transaction mode. Queries and model calls
 * inside work use the transaction without passing it (see lib/keel/db/transaction-scope.ts). On the wire it costs one
 * round trip beyond the work's own statements when its first statement is one keel sends (a model's written-out
 * read or write: the begin and the settings travel ahead of it), two when it is Sequelize's (the begin, then
 * the statement), the commit included; work that sends nothing costs none (docs/data.md#what-a-unit-of-work-sends).
 */
export async function runUnitOfWork<T>(
  sequelize: Sequelize,
  settings: TransactionSettings,
  work: (transaction: Transaction) => Promise<T>,
  { signal }: UnitOfWorkOptions = {},
): Promise<T> {
  const entries = Object.entries(settings);
  for (const [name, value] of entries) {
    if (!SETTING_NAME.test(name)) throw new TypeError(`transaction setting name must match ${SETTING_NAME}: ${JSON.stringify(name)}`);
    // PostgreSQL text cannot hold NUL, and the simple query protocol would end the SQL there.
    if (value.includes('\0')) throw new TypeError(`transaction setting ${name} contains a NUL character`);
  }
  signal?.throwIfAborted();
  const pending: PendingSettings = { entries, applied: false };
  sendOwnStatements(sequelize);
  const options = { [SETTINGS]: pending } as TransactionOptions;
  return sequelize.transaction(options, async (transaction) => {
    // A Sequelize that no longer begins through the query interface would drop the settings silently.
    if (!pending.applied) throw new Error('the unit of work began without its settings');
    // It may have fired while the transaction waited for a connection.
    signal?.throwIfAborted();
    const cancelling = signal ? cancelStatementOnAbort(transaction, signal) : undefined;
    if (signal) refuseStatementsAfterAbort(sequelize, transaction, signal);
    try {
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

/** The settings of one unit of work, carried to its begin in the transaction's options. */
interface PendingSettings {
  readonly entries: readonly (readonly [string, string])[];
  applied: boolean;
}

const SETTINGS = Symbol('keel.unitOfWorkSettings');

/**
 * The begin of a unit of work with its settings, both ways it can travel. As one simple query (ahead of a
 * statement Sequelize sends): `START TRANSACTION; SELECT set_config('app.user_id', '42', true), …`, the values
 * literals, since a simple query takes no bind parameters; escapeLiteral doubles quotes and switches to E''
 * when backslashes are present, so a value can never end its literal, whatever standard_conforming_strings
 * says. As a prelude (ahead of a statement keel sends: lib/keel/db/preluded-query.ts): START TRANSACTION,
 * then `SELECT set_config($1, $2, true), …` with the names and values bound.
 */
function beginOf(startTransaction: string, entries: readonly (readonly [string, string])[]): DeferredBegin {
  if (entries.length === 0) return { simple: startTransaction, prelude: [{ sql: startTransaction, values: [] }] };
  const literals = entries.map(([name, value]) => `set_config(${escapeLiteral(`app.${name}`)}, ${escapeLiteral(value)}, true)`);
  const placeholders = entries.map((_, index) => `set_config($${2 * index + 1}, $${2 * index + 2}, true)`);
  return {
    simple: `${startTransaction} SELECT ${literals.join(', ')}`,
    prelude: [
      { sql: startTransaction, values: [] },
      { sql: `SELECT ${placeholders.join(', ')}`, values: entries.flatMap(([name, value]) => [`app.${name}`, value]) },
    ],
  };
}

const sendingOwnStatements = new WeakSet<QueryInterface>();
type UnitOfWorkOptionsOf = { [SETTINGS]?: PendingSettings } | undefined;

/**
 * A unit of work's begin and commit, sent by keel (lib/keel/db/transaction-statements.ts) rather than through
 * sequelize.query. Sequelize's transaction begins through queryInterface.startTransaction(transaction,
 * transaction.options), commits through commitTransaction and rolls back through rollbackTransaction. For a
 * unit of work, the begin is not sent then: it waits for the work's first statement. A statement keel sends
 * takes it as its prelude, in the same round trip (rowsInTransaction); before one Sequelize sends (a
 * beforeQuery hook), keel sends it as one simple query. Work that sent nothing has no transaction on the
 * server: its commit and its rollback send nothing. Installed once per Sequelize instance; every other
 * transaction goes as Sequelize sends it.
 */
function sendOwnStatements(sequelize: Sequelize): void {
  const queryInterface = sequelize.getQueryInterface();
  if (sendingOwnStatements.has(queryInterface)) return;
  const startTransaction = queryInterface.startTransaction.bind(queryInterface);
  const commitTransaction = queryInterface.commitTransaction.bind(queryInterface);
  const rollbackTransaction = queryInterface.rollbackTransaction.bind(queryInterface);
  const generator = queryInterface.queryGenerator as {
    startTransactionQuery(transaction: Transaction): string;
    commitTransactionQuery(transaction: Transaction): string;
  };
  const finish = (transaction: Transaction, outcome: 'commit' | 'rollback'): void => {
    (transaction as unknown as { finished?: string }).finished = outcome;
  };
  queryInterface.startTransaction = async (transaction: Transaction, options?: QueryOptions): Promise<void> => {
    const settings = (options as UnitOfWorkOptionsOf)?.[SETTINGS];
    if (!settings) return startTransaction(transaction, options);
    const begin = beginOf(generator.startTransactionQuery(transaction), settings.entries);
    if (statementSender(sequelize, transaction)) deferBegin(transaction, begin);
    else await sequelize.query(begin.simple, { ...options, transaction });
    settings.applied = true;
  };
  sequelize.addHook('beforeQuery', async (options) => {
    // completesTransaction marks Sequelize's own COMMIT and ROLLBACK (not in its typings).
    if (!options.transaction || (options as { completesTransaction?: boolean }).completesTransaction) return;
    // Work whose signal has fired sends nothing more, its begin included (the hook below refuses the statement).
    throwIfWorkAborted(options.transaction);
    const send = statementSender(sequelize, options.transaction);
    const begin = send && takeDeferredBegin(options.transaction);
    if (send && begin) await send(begin.simple);
  });
  queryInterface.commitTransaction = async (transaction: Transaction, options?: QueryOptions): Promise<void> => {
    const ours = (options as UnitOfWorkOptionsOf)?.[SETTINGS] !== undefined;
    if (ours && takeDeferredBegin(transaction)) return finish(transaction, 'commit');
    const send = ours ? statementSender(sequelize, transaction) : undefined;
    if (!send) return commitTransaction(transaction, options);
    const sent = send(generator.commitTransactionQuery(transaction));
    // As Sequelize's own commit does: finished once the COMMIT is on its way, whatever it answers.
    finish(transaction, 'commit');
    await sent;
  };
  queryInterface.rollbackTransaction = async (transaction: Transaction, options?: QueryOptions): Promise<void> => {
    if ((options as UnitOfWorkOptionsOf)?.[SETTINGS] !== undefined && takeDeferredBegin(transaction))
      return finish(transaction, 'rollback');
    return rollbackTransaction(transaction, options);
  };
  sendingOwnStatements.add(queryInterface);
}

const refusingStatements = new WeakSet<Sequelize>();

/**
 * A cancel that reaches the backend between two statements of the work is ignored by the server, and the
 * work would go on sending statements until it ends. So once the signal has fired, every statement of the
 * transaction (savepoints included) rejects with the signal's reason before it is sent; only the ROLLBACK
 * that ends it still goes through. One beforeQuery hook per Sequelize instance, installed on first use; the
 * statements keel sends itself check the same (lib/keel/db/transaction-statements.ts).
 */
function refuseStatementsAfterAbort(sequelize: Sequelize, transaction: Transaction, signal: AbortSignal): void {
  watchSignal(transaction, signal);
  if (refusingStatements.has(sequelize)) return;
  sequelize.addHook('beforeQuery', (options) => {
    // completesTransaction marks Sequelize's own COMMIT and ROLLBACK (not in its typings).
    if ((options as { completesTransaction?: boolean }).completesTransaction) return;
    if (options.transaction) throwIfWorkAborted(options.transaction);
  });
  refusingStatements.add(sequelize);
}

/**
 * On abort, cancels whatever the transaction's connection is running with a CancelRequest (lib/keel/db/cancel.ts):
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

import type { Transaction } from 'sequelize';
import type { PreludeStatement } from './preluded-query';

/**
 * What a unit of work's transaction carries besides Sequelize's own state, for whoever sends its statements:
 * its signal, and its begin while that waits for the first statement (lib/keel/db/unit-of-work.ts).
 */

/** A unit of work's begin and settings, not sent yet: as one simple query, or as statements to send ahead of another. */
export interface DeferredBegin {
  /** `START TRANSACTION; SELECT set_config('app.user_id', '42', true)`: literals, as a simple query takes no values. */
  readonly simple: string;
  /** START TRANSACTION, then `SELECT set_config($1, $2, true)` with its values, ahead of the first statement. */
  readonly prelude: readonly PreludeStatement[];
}

const signals = new WeakMap<Transaction, AbortSignal>();
const deferredBegins = new WeakMap<Transaction, DeferredBegin>();

export function watchSignal(transaction: Transaction, signal: AbortSignal): void {
  signals.set(transaction, signal);
}

/** The transaction a savepoint belongs to (Sequelize keeps it on the transaction, not in its typings). */
function parentOf(transaction: Transaction): Transaction | undefined {
  return (transaction as unknown as { parent?: Transaction }).parent;
}

function rootOf(transaction: Transaction): Transaction {
  let root = transaction;
  for (let parent = parentOf(root); parent; parent = parentOf(root)) root = parent;
  return root;
}

/**
 * Refuses a statement about to be sent in the transaction (or a savepoint of it) once its unit of work's
 * signal has fired, with the signal's reason.
 */
export function throwIfWorkAborted(transaction: Transaction): void {
  for (let scope: Transaction | undefined = transaction; scope; scope = parentOf(scope)) {
    signals.get(scope)?.throwIfAborted();
  }
}

export function deferBegin(transaction: Transaction, begin: DeferredBegin): void {
  deferredBegins.set(transaction, begin);
}

/**
 * The begin of the transaction (a savepoint's: of the transaction it belongs to) if it has not been sent,
 * handed to whoever sends the next statement, which must send it first: once taken, it is sent.
 */
export function takeDeferredBegin(transaction: Transaction): DeferredBegin | undefined {
  const root = rootOf(transaction);
  const begin = deferredBegins.get(root);
  deferredBegins.delete(root);
  return begin;
}

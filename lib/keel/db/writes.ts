import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { statementSender } from './transaction-statements';
import { currentTransaction } from './transaction-scope';
import { throwIfWorkAborted } from './unit-of-work';

/**
 * The rows a written-out INSERT, UPDATE or DELETE … RETURNING answers, its values bound ($1, $2, …), as plain
 * objects. In a unit of work it is sent on the transaction's connection by keel (transaction-statements.ts):
 * a write through Model.create or Model.update costs about three times the CPU of its statement sent by pg
 * (docs/benchmark-notes.md), most of it building the SQL and the instance. The same connection, query log,
 * span, abort refusal and errors as sequelize.query (a unique violation is a UniqueConstraintError: a 409);
 * Sequelize's beforeQuery and afterQuery hooks do not run for it. Outside a transaction it goes through
 * sequelize.query.
 */
export async function writeRows<Row extends object>(sequelize: Sequelize, sql: string, values: readonly unknown[]): Promise<Row[]> {
  const transaction = currentTransaction() as Transaction | undefined;
  const send = transaction && statementSender(sequelize, transaction);
  if (!transaction || !send) return sequelize.query<Row>(sql, { bind: [...values], type: QueryTypes.SELECT });
  throwIfWorkAborted(transaction);
  return (await send(sql, values)).rows as Row[];
}

import { QueryTypes, type Sequelize } from 'sequelize';
import { currentTransaction } from './transaction-scope';
import { rowsInTransaction } from './transaction-statements';

/**
 * The rows a written-out INSERT, UPDATE or DELETE … RETURNING answers, its values bound ($1, $2, …), as plain
 * objects. In a unit of work it is sent on the transaction's connection by keel (rowsInTransaction), its
 * begin travelling with it when it is the work's first statement: a write through Model.create or
 * Model.update cost about three times the CPU of its statement sent by pg (docs/benchmark-notes.md), most of
 * it building the SQL and the instance. The same connection, query log, span, abort refusal and errors as
 * sequelize.query (a unique violation is a UniqueConstraintError: a 409); Sequelize's beforeQuery and
 * afterQuery hooks do not run for it. Outside a transaction it goes through sequelize.query.
 */
export function writeRows<Row extends object>(sequelize: Sequelize, sql: string, values: readonly unknown[]): Promise<Row[]> {
  const transaction = currentTransaction();
  const sent = transaction === undefined ? undefined : rowsInTransaction<Row>(sequelize, transaction, sql, values);
  return sent ?? sequelize.query<Row>(sql, { bind: [...values], type: QueryTypes.SELECT });
}

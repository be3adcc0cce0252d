import { performance } from 'node:perf_hooks';
import { DatabaseError as ServerError } from 'pg';
import { DatabaseError, QueryTypes, type Sequelize } from 'sequelize';
import { connectionManager } from './pool';
import { directReadsOf } from './direct';
import { currentTransaction } from './transaction-scope';
import { rowsInTransaction } from './transaction-statements';

/**
 * The rows of one SELECT, its values bound ($1, $2, …), as plain objects. Inside a transaction it runs
 * there, sent by keel on the transaction's connection (lib/keel/db/transaction-statements.ts). Outside one (a service's hottest path: a read on its own) it takes a
 * connection from Sequelize's pool, on a replica when there is one, and runs the statement on it: the
 * same connection, session, routing, timeouts, query log and errors as sequelize.query, without its
 * per-statement work (an options merge, a query object, a uuid and a captured stack trace, the retry
 * wrapper), which costs more CPU than the rest of a read by id
 * (docs/benchmark-notes.md#reads-by-id-and-the-access-log). Sequelize's beforeQuery and afterQuery
 * hooks do not run for it.
 */
export async function selectRows<Row extends object>(sequelize: Sequelize, sql: string, values: readonly unknown[]): Promise<Row[]> {
  const transaction = currentTransaction();
  const direct = directReadsOf(sequelize);
  if (!direct || transaction !== undefined) {
    const sent = transaction === undefined ? undefined : rowsInTransaction<Row>(sequelize, transaction, sql, values);
    return sent ?? sequelize.query<Row>(sql, { bind: [...values], type: QueryTypes.SELECT });
  }
  const manager = connectionManager(sequelize);
  return direct.routing(async (route) => {
    const connection = await manager.getConnection({ ...route, type: 'SELECT' });
    const started = performance.now();
    try {
      const tracer = direct.tracer;
      const run = (): Promise<unknown> => connection.query(sql, [...values]);
      const result = (await (tracer?.recording() ? tracer.statement(sql, run) : run())) as { rows: Row[] };
      direct.logQuery(sql, Math.round((performance.now() - started) * 100) / 100);
      return result.rows;
    } catch (error) {
      // Not an error the server answered (the connection broke, the client-side timeout gave up mid-statement):
      // the connection's state is unknown, so the pool destroys it rather than hand it out again.
      if (!(error instanceof ServerError)) connection._invalid = true;
      throw asSequelizeError(error, sql, values);
    } finally {
      manager.releaseConnection(connection);
    }
  });
}

/** The error sequelize.query raises for a failed SELECT: a DatabaseError around the driver's, carrying the statement. */
function asSequelizeError(error: unknown, sql: string, values: readonly unknown[]): DatabaseError {
  const parent = Object.assign(error instanceof Error ? error : new Error(String(error)), { sql, parameters: [...values] });
  return new DatabaseError(parent);
}

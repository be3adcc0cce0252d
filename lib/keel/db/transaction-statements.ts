import { performance } from 'node:perf_hooks';
import { DatabaseError as ServerError } from 'pg';
import type { Sequelize, Transaction } from 'sequelize';
import type { RawConnection } from './pool';
import { directQueryLog } from './reads';
import { tracerOf } from './traced';

/** Sequelize's dialect query class, whose formatError turns a driver error into Sequelize's own (not in its typings). */
interface DialectQuery {
  formatError(error: Error, stack?: string): Error;
}
type DialectQueryClass = new (connection: RawConnection, sequelize: Sequelize, options: object) => DialectQuery;

/**
 * What sends the statements of a unit of work's own (its begin with the settings, its commit) on the
 * connection the transaction holds, as sequelize.query would, without its per-statement work (an options
 * merge, a query object with a uuid and a captured stack, the retry wrapper, the hooks), which costs
 * more CPU than the statement's round trip (docs/data.md#what-a-unit-of-work-sends). The same
 * connection, client timeout and query log; a failure is the error Sequelize's own query would throw
 * (its dialect's formatError), and a connection whose state is unknown is not handed out again.
 * Undefined when it cannot (no connection yet, or a Sequelize whose reads are not direct, so no query
 * log): the caller then sends them through Sequelize.
 */
export function statementSender(sequelize: Sequelize, transaction: Transaction): ((sql: string) => Promise<void>) | undefined {
  const logQuery = directQueryLog(sequelize);
  // Sequelize keeps the pg client the transaction holds on the transaction (not in its typings).
  const connection = (transaction as unknown as { connection?: RawConnection }).connection;
  if (!logQuery || !connection) return undefined;
  const tracer = tracerOf(sequelize);
  const send = async (sql: string): Promise<void> => {
    const started = performance.now();
    try {
      await connection.query(sql);
    } catch (error) {
      if (!(error instanceof ServerError)) connection._invalid = true;
      throw asSequelizeError(sequelize, connection, error, sql);
    }
    logQuery(sql, Math.round((performance.now() - started) * 100) / 100);
  };
  // In a span of its own when the request's trace is recorded, as sequelize.query's statements are, its log line inside it.
  return (sql) => (tracer?.recording() ? tracer.statement(sql, () => send(sql)) : send(sql));
}

function asSequelizeError(sequelize: Sequelize, connection: RawConnection, error: unknown, sql: string): Error {
  const cause = Object.assign(error instanceof Error ? error : new Error(String(error)), { sql, parameters: [] });
  const Query = (sequelize as unknown as { dialect: { Query: DialectQueryClass } }).dialect.Query;
  return new Query(connection, sequelize, {}).formatError(cause);
}

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

/** What a statement sent on the transaction's connection answers: its rows (RETURNING's too) and how many it touched. */
export interface StatementResult {
  readonly rows: object[];
  readonly rowCount: number | null;
}

/** Sends one statement, its values bound ($1, $2, …) when it has any. */
export type StatementSend = (sql: string, values?: readonly unknown[]) => Promise<StatementResult>;

/**
 * What sends statements on the connection a transaction holds (a unit of work's begin with the settings and
 * its commit, a model's written-out writes: lib/keel/db/writes.ts), as sequelize.query would, without its
 * per-statement work (an options merge, a query object with a uuid and a captured stack, the retry wrapper,
 * the hooks), which costs more CPU than the statement's round trip (docs/data.md#what-a-unit-of-work-sends).
 * The same connection, client timeout and query log; a failure is the error Sequelize's own query would throw
 * (its dialect's formatError: a unique violation is a UniqueConstraintError), and a connection whose state is
 * unknown is not handed out again. Undefined when it cannot (no connection yet, or a Sequelize whose reads
 * are not direct, so no query log): the caller then sends them through Sequelize.
 */
export function statementSender(sequelize: Sequelize, transaction: Transaction): StatementSend | undefined {
  const logQuery = directQueryLog(sequelize);
  // Sequelize keeps the pg client the transaction holds on the transaction (not in its typings).
  const connection = (transaction as unknown as { connection?: RawConnection }).connection;
  if (!logQuery || !connection) return undefined;
  const tracer = tracerOf(sequelize);
  const send = async (sql: string, values: readonly unknown[] | undefined): Promise<StatementResult> => {
    const started = performance.now();
    let result: StatementResult;
    try {
      result = (await connection.query(sql, values && [...values])) as StatementResult;
    } catch (error) {
      if (!(error instanceof ServerError)) connection._invalid = true;
      throw asSequelizeError(sequelize, connection, error, sql, values);
    }
    logQuery(sql, Math.round((performance.now() - started) * 100) / 100);
    return result;
  };
  // In a span of its own when the request's trace is recorded, as sequelize.query's statements are, its log line inside it.
  return (sql, values) => (tracer?.recording() ? tracer.statement(sql, () => send(sql, values)) : send(sql, values));
}

function asSequelizeError(
  sequelize: Sequelize,
  connection: RawConnection,
  error: unknown,
  sql: string,
  values: readonly unknown[] | undefined,
): Error {
  const cause = Object.assign(error instanceof Error ? error : new Error(String(error)), { sql, parameters: [...(values ?? [])] });
  const Query = (sequelize as unknown as { dialect: { Query: DialectQueryClass } }).dialect.Query;
  return new Query(connection, sequelize, {}).formatError(cause);
}

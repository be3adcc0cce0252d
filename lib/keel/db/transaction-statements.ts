import { performance } from 'node:perf_hooks';
import { DatabaseError as ServerError } from 'pg';
import type { Sequelize, Transaction } from 'sequelize';
import type { RawConnection } from './pool';
import { directReadsOf } from './direct';
import { queryAfterPrelude, type PreludeStatement } from './preluded-query';
import { tracerOf } from './traced';
import { takeDeferredBegin, throwIfWorkAborted } from './work-state';

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

/**
 * Sends one statement, its values bound ($1, $2, …) when it has any; with a prelude, the prelude's statements
 * go ahead of it in the same round trip (lib/keel/db/preluded-query.ts).
 */
export type StatementSend = (sql: string, values?: readonly unknown[], prelude?: readonly PreludeStatement[]) => Promise<StatementResult>;

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
  const logQuery = directReadsOf(sequelize)?.logQuery;
  // Sequelize keeps the pg client the transaction holds on the transaction (not in its typings).
  const connection = (transaction as unknown as { connection?: RawConnection }).connection;
  if (!logQuery || !connection) return undefined;
  const tracer = tracerOf(sequelize);
  const send = async (
    sql: string,
    values: readonly unknown[] | undefined,
    prelude: readonly PreludeStatement[] | undefined,
  ): Promise<StatementResult> => {
    const started = performance.now();
    let result: StatementResult;
    try {
      result = (await (prelude
        ? queryAfterPrelude(connection as unknown as Parameters<typeof queryAfterPrelude>[0], prelude, sql, values ?? [])
        : connection.query(sql, values && [...values]))) as StatementResult;
    } catch (error) {
      if (!(error instanceof ServerError)) connection._invalid = true;
      throw asSequelizeError(sequelize, connection, error, sql, values);
    }
    // One line for the round trip, the prelude's statements first.
    const text = prelude ? [...prelude.map((statement) => statement.sql.replace(/;\s*$/, '')), sql].join('; ') : sql;
    logQuery(text, Math.round((performance.now() - started) * 100) / 100);
    return result;
  };
  // In a span of its own when the request's trace is recorded, as sequelize.query's statements are, its log line inside it.
  return (sql, values, prelude) =>
    tracer?.recording() ? tracer.statement(sql, () => send(sql, values, prelude)) : send(sql, values, prelude);
}

/**
 * The rows one statement answers in the transaction, sent by keel on its connection (statementSender): a
 * model's written-out write (lib/keel/db/writes.ts), or a read inside a unit of work (reads.ts). Refused once
 * the unit of work's signal has fired, as the beforeQuery hook refuses Sequelize's statements. When the unit of
 * work has not begun yet, its begin and settings travel ahead of the statement, in the same round trip.
 * Undefined when keel cannot send it (statementSender): the caller sends it through sequelize.query.
 */
export function rowsInTransaction<Row extends object>(
  sequelize: Sequelize,
  transaction: unknown,
  sql: string,
  values: readonly unknown[],
): Promise<Row[]> | undefined {
  const send = statementSender(sequelize, transaction as Transaction);
  if (!send) return undefined;
  // Async, so that a refusal is a rejection; nothing is awaited before the statement is on the client's queue.
  return (async () => {
    throwIfWorkAborted(transaction as Transaction);
    const result = await send(sql, values, takeDeferredBegin(transaction as Transaction)?.prelude);
    return result.rows as Row[];
  })();
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

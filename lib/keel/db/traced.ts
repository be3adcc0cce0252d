import type { Sequelize } from 'sequelize';

/**
 * The data layer's spans, made by lib/keel/tracing when tracing is on and handed to createDatabase by
 * bin/www: the data layer itself knows no OpenTelemetry, and with tracing off loads none.
 */
export interface DatabaseTracer {
  /** Whether a statement run now belongs to a recorded trace: only then is it worth a span. */
  recording(): boolean;
  /** Runs one statement in a span of its own; sql is the text sent to the server, $n placeholders and all. */
  statement<T>(sql: string, run: () => Promise<T>): Promise<T>;
  /** Runs a unit of work, begin to commit or rollback, in a span; the signal tells a deadline that fired. */
  unitOfWork<T>(run: () => Promise<T>, signal: AbortSignal | undefined): Promise<T>;
}

const TRACERS = new WeakMap<Sequelize, DatabaseTracer>();

/** The tracer of a Sequelize whose statements are traced, for those sent beside sequelize.query (transaction-statements.ts). */
export const tracerOf = (sequelize: Sequelize): DatabaseTracer | undefined => TRACERS.get(sequelize);

/** What Sequelize's beforeQuery hook is given: the query about to run (not in its typings). */
interface PendingQuery {
  run(sql: string, parameters?: unknown): Promise<unknown>;
}

/**
 * Every statement sequelize.query sends (model calls, transactions' BEGIN and COMMIT) in a span: the
 * beforeQuery hook wraps the run of the query object it is given, which is where the final SQL text is
 * known. Statements of no recorded trace (health probes, migrations, unsampled requests) are not wrapped.
 */
export function traceStatements(sequelize: Sequelize, tracer: DatabaseTracer): void {
  TRACERS.set(sequelize, tracer);
  sequelize.addHook('beforeQuery', (_options: unknown, query: unknown) => {
    if (!tracer.recording()) return;
    const pending = query as PendingQuery;
    const run = pending.run;
    pending.run = (sql, parameters) => tracer.statement(sql, () => run.call(pending, sql, parameters));
  });
}

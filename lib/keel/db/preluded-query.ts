import { Query, type QueryResult } from 'pg';

/** A statement sent ahead of another in the same round trip: its text and its values, bound ($1, $2, …). */
export interface PreludeStatement {
  readonly sql: string;
  readonly values: readonly string[];
}

/** pg's Query as it is (prepare and its config's callback and queryMode are not in its typings). */
interface PgQuery {
  prepare(connection: PgConnection): void;
}
interface PgConnection {
  parse(config: { text: string; types: never[] }): void;
  bind(config: { values: readonly string[] }): void;
  describe(config: { type: 'P'; name: string }): void;
  execute(config: { portal: string }): void;
}

/**
 * One statement with others sent ahead of it, all before one Sync: one round trip. Each is parsed, bound and
 * executed in turn, as the extended protocol runs a pipeline; the first that fails ends it, the server
 * skipping to the Sync, and its error is the query's. pg's Query does the rest (the statement's own parse,
 * bind, describe and execute, the Sync, the client's query timeout), and answers one result per statement:
 * the last is the statement's. For a unit of work's begin and settings travelling with its first statement
 * (lib/keel/db/transaction-statements.ts); a statement that begins a transaction (START TRANSACTION) keeps it
 * open past the Sync, so the settings, transaction-local, last to its commit.
 */
export class PreludedQuery extends Query {
  constructor(
    private readonly prelude: readonly PreludeStatement[],
    sql: string,
    values: readonly unknown[],
    callback: (error: Error | undefined, results: QueryResult | QueryResult[]) => void,
  ) {
    // queryMode 'extended': prepared even without values, so the prelude and the statement share one Sync.
    super({ text: sql, values: [...values], queryMode: 'extended', callback } as unknown as ConstructorParameters<typeof Query>[0]);
  }

  // pg calls prepare with the stream corked: what it writes here goes out in one write, the statement's messages after.
  prepare(connection: PgConnection): void {
    for (const { sql, values } of this.prelude) {
      connection.parse({ text: sql, types: [] });
      connection.bind({ values });
      // Described, so a statement that answers rows (set_config's) says what they are before them.
      connection.describe({ type: 'P', name: '' });
      connection.execute({ portal: '' });
    }
    (Query.prototype as unknown as PgQuery).prepare.call(this, connection);
  }
}

/** Runs the statement after the prelude on the client, in one round trip; answers the statement's result. */
export function queryAfterPrelude(
  client: { query(query: Query): unknown },
  prelude: readonly PreludeStatement[],
  sql: string,
  values: readonly unknown[],
): Promise<QueryResult> {
  return new Promise((resolve, reject) => {
    client.query(
      new PreludedQuery(prelude, sql, values, (error, results) => {
        if (error) reject(error);
        else resolve(Array.isArray(results) ? (results.at(-1) as QueryResult) : results);
      }),
    );
  });
}

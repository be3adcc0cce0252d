import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

/** Request context for row-level security: each key becomes the setting app.<key>. */
export type RequestContext = Readonly<Record<string, string>>;

const SETTING_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Runs work in one transaction whose request context (e.g. { user_id: '42' }) is visible to SQL
 * as current_setting('app.user_id', true), for RLS policies. The settings are transaction-local
 * (set_config(..., true)): they end with the commit or rollback, never reach the next user of
 * the connection, and are safe behind PgBouncer in transaction mode. Queries and model calls
 * inside work use the transaction without passing it (see db/context.ts).
 */
export async function runUnitOfWork<T>(
  sequelize: Sequelize,
  context: RequestContext,
  work: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  const entries = Object.entries(context);
  for (const [name] of entries) {
    if (!SETTING_NAME.test(name)) throw new TypeError(`request context key must match ${SETTING_NAME}: ${JSON.stringify(name)}`);
  }
  return sequelize.transaction(async (transaction) => {
    if (entries.length > 0) {
      const calls = entries.map((_, index) => `set_config($${2 * index + 1}, $${2 * index + 2}, true)`).join(', ');
      await sequelize.query(`SELECT ${calls}`, {
        bind: entries.flatMap(([name, value]) => [`app.${name}`, value]),
        type: QueryTypes.SELECT,
        transaction,
      });
    }
    return work(transaction);
  });
}

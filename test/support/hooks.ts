import { startTestDatabase, stopTestDatabase } from './database';

/** Mocha root hooks: one PostgreSQL for the whole run. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await startTestDatabase();
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await stopTestDatabase();
  },
};

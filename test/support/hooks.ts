import { responsesChecked, takeViolations } from './contract';
import { startTestDatabase, stopTestDatabase } from './database';

const violationError = (violations: readonly string[], when: string): Error =>
  new Error(`${when}, responses from the app broke the OpenAPI contract (app/openapi.ts):\n  ${violations.join('\n  ')}`);

const isHook = (runnable: Mocha.Runnable | undefined): runnable is Mocha.Hook =>
  (runnable as { type?: unknown } | undefined)?.type === 'hook';

/**
 * Mocha root hooks: one PostgreSQL for the whole run, and the OpenAPI contract for every response
 * the suite receives from the app (test/support/contract.ts records them).
 */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await startTestDatabase();
  },
  afterEach(this: Mocha.Context): void {
    const violations = takeViolations();
    if (violations.length === 0) return;
    const error = violationError(violations, 'During this test');
    // Hook#error fails the test that just ran; a throwing root hook would instead stop the rest of the run.
    if (isHook(this.test)) this.test.error(error);
    else throw error;
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await stopTestDatabase();
    const late = takeViolations();
    if (responsesChecked() > 0) console.log(`\n  OpenAPI contract: ${responsesChecked()} responses from the app checked`);
    if (late.length > 0) throw violationError(late, 'After the last test');
  },
};

import { responsesChecked, takeViolations } from './contract';
import { startTestDatabase, stopTestDatabase } from './database';
import { dropSentinelRole, registerTestDatabasePassword, takeSentinelLeaks } from './sentinels';

const violationError = (violations: readonly string[], when: string): Error =>
  new Error(`${when}, responses from the app broke the OpenAPI contract (lib/keel/http/openapi.ts):\n  ${violations.join('\n  ')}`);

const isHook = (runnable: Mocha.Runnable | undefined): runnable is Mocha.Hook =>
  (runnable as { type?: unknown } | undefined)?.type === 'hook';

const leakError = (leaks: readonly string[], when: string): Error =>
  new Error(`${when}, a secret leaked (test/support/sentinels.ts):\n  ${leaks.join('\n  ')}`);

/** Fails the test that just ran when a watched secret reached a process's output or a response. */
function failOnSentinelLeaks(context: Mocha.Context): void {
  const leaks = takeSentinelLeaks();
  if (leaks.length === 0) return;
  if (isHook(context.test)) context.test.error(leakError(leaks, 'During this test'));
  else throw leakError(leaks, 'During this test');
}

/**
 * Mocha root hooks: one PostgreSQL for the whole run, and the OpenAPI contract for every response
 * the suite receives from the app (test/support/contract.ts records them).
 */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await startTestDatabase();
    registerTestDatabasePassword();
  },
  afterEach(this: Mocha.Context): void {
    failOnSentinelLeaks(this);
    const violations = takeViolations();
    if (violations.length === 0) return;
    const error = violationError(violations, 'During this test');
    // Hook#error fails the test that just ran; a throwing root hook would instead stop the rest of the run.
    if (isHook(this.test)) this.test.error(error);
    else throw error;
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await dropSentinelRole();
    await stopTestDatabase();
    const leaks = takeSentinelLeaks();
    if (leaks.length > 0) throw leakError(leaks, 'After the last test');
    const late = takeViolations();
    if (responsesChecked() > 0) console.log(`\n  OpenAPI contract: ${responsesChecked()} responses from the app checked`);
    if (late.length > 0) throw violationError(late, 'After the last test');
    // What the suite left open: mocha runs with --exit, which would hide a handle that keeps the
    // process from exiting (or spinning in Node's exit-time cleanup); this line names it.
    const left = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap');
    if (left.length > 0) console.log(`  Left open after the last test: ${left.join(', ')}`);
  },
};

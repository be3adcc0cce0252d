import { createApp } from '../../lib/keel/http';
import { createLifecycle, type Lifecycle } from '../../lib/keel/http/lifecycle';
import { loadConfig, type Config } from '../../config/env';
import { createLogger, type Logger } from '../../config/logger';
import { readPackageInfo } from '../../config/project';
import { createDatabase, type Database } from '../../lib/keel/db';
import { contractChecked } from './contract';
import { testDatabaseUrl } from './database';
import { requestSettings } from '../../app/request-settings';
import { ROUTES } from '../../app/routes';

export { contractChecked } from './contract';

/** The service's route table and request settings hook, as bin/www passes them to createApp. */
export const SERVICE = { routes: ROUTES, requestSettings } as const;

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', DATABASE_URL: testDatabaseUrl(), ...overrides });
}

export const silentLogger = (): Logger => createLogger({ env: 'test', logLevel: 'silent' });

/** A real database handle on the test server; close it in an after hook. */
export function testDatabase(overrides: Record<string, string> = {}, logger: Logger = silentLogger()): Database {
  const config = testConfig(overrides);
  return createDatabase({ ...config.database, url: config.database.url ?? testDatabaseUrl() }, logger);
}

/** A lifecycle in the phase bin/www reaches once it listens. */
export function servingLifecycle(): Lifecycle {
  const lifecycle = createLifecycle();
  lifecycle.markServing();
  return lifecycle;
}

/**
 * The real app on a real database, as bin/www builds it, minus the listening socket; every response
 * it gives is checked against the OpenAPI document (test/support/contract.ts).
 */
export function buildTestApp(
  database: Database,
  options: { logger?: Logger; lifecycle?: Lifecycle; config?: Record<string, string> } = {},
): ReturnType<typeof createApp> {
  return contractChecked(
    createApp({
      ...SERVICE,
      config: testConfig(options.config),
      logger: options.logger ?? silentLogger(),
      database,
      lifecycle: options.lifecycle ?? servingLifecycle(),
      version: readPackageInfo().version,
    }),
  );
}

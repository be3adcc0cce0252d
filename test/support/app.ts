import { createApp } from '../../app';
import { loadConfig, type Config } from '../../config/env';
import { createLogger, type Logger } from '../../config/logger';
import { readPackageInfo } from '../../config/project';
import { createDatabase, type Database } from '../../db';
import { testDatabaseUrl } from './database';

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', DATABASE_URL: testDatabaseUrl(), ...overrides });
}

export const silentLogger = (): Logger => createLogger({ env: 'test', logLevel: 'silent' });

/** A real database handle on the test server; close it in an after hook. */
export function testDatabase(overrides: Record<string, string> = {}, logger: Logger = silentLogger()): Database {
  const config = testConfig(overrides);
  return createDatabase({ ...config.database, url: config.database.url ?? testDatabaseUrl() }, logger);
}

/** The real app on a real database, as bin/www builds it, minus the listening socket. */
export function buildTestApp(database: Database, logger: Logger = silentLogger()): ReturnType<typeof createApp> {
  return createApp({ config: testConfig(), logger, database, version: readPackageInfo().version });
}

import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../config/logger';
import { projectRoot } from '../../config/project';
import { MODELS } from './example/app/models';
import { ROUTES } from './example/app/routes';
import { captureLog } from './log-capture';
import { migrationsDirectory } from './migrations';
import { startResourceApp, type ResourceApp, type ResourceAppOptions, type TestCaller, type TestService } from './resource-app';

const EXAMPLE_MIGRATIONS = path.join(projectRoot(), 'test', 'support', 'example', 'db', 'migrations');

/**
 * The example service (test/support/example, written by npm run generate:example): its route table and
 * models, on keel's foundation migration (uuidv7() on every server) and its own migrations, none of this
 * checkout's resources'.
 */
export const EXAMPLE_SERVICE: TestService = {
  routes: ROUTES,
  models: MODELS,
  migrations: [
    path.join(migrationsDirectory(), '20260101000000-foundation.js'),
    ...fs
      .readdirSync(EXAMPLE_MIGRATIONS)
      .filter((file) => file.endsWith('.js'))
      .sort()
      .map((file) => path.join(EXAMPLE_MIGRATIONS, file)),
  ],
};

export interface ExampleApp extends ResourceApp {
  /** A bearer token of the caller, as a person pastes it into the docs page's Authorize. */
  token(caller: TestCaller): Promise<string>;
  /** The SQL the app ran since the last call, statement by statement. */
  takeStatements(): Promise<string[]>;
}

/** The example service on a scratch database, its callers' tokens from the suite's identity provider (startResourceApp). */
export async function startExampleApp(options: Omit<ResourceAppOptions, 'service' | 'sqlLogger'> = {}): Promise<ExampleApp> {
  const sql = captureLog();
  const service = await startResourceApp({
    ...options,
    service: EXAMPLE_SERVICE,
    sqlLogger: createLogger({ env: 'production', logLevel: 'silly' }, sql.stream),
  });
  let seen = 0;
  return {
    ...service,
    async token(caller) {
      return (await service.bearer(caller)).Authorization?.slice('Bearer '.length) ?? '';
    },
    async takeStatements() {
      const entries = (await sql.entries()).filter((entry) => entry.message === 'query' && typeof entry.sql === 'string');
      const fresh = entries.slice(seen).map((entry) => String(entry.sql).replace(/^Execut\w+ \([^)]*\): /, ''));
      seen = entries.length;
      return fresh;
    },
  };
}

import { SERVICE } from '../app';
import path from 'node:path';
import type { Express } from 'express';
import { Sequelize } from 'sequelize';
import { createApp } from '../../../lib/keel/http';
import { initModels } from '../../../lib/keel/models';
import { createLogger } from '../../../config/logger';
import { projectRoot, readPackageInfo } from '../../../config/project';
import { createDatabase, type Database } from '../../../lib/keel/db';
import { contractChecked, servingLifecycle, silentLogger, testConfig } from '../app';
import { createScratchDatabase, type ScratchDatabase } from '../database';
import { captureLog, type LogCapture } from '../log-capture';
import { loadMigration } from '../migrations';
import { headerSettings } from './request-settings';
import { EXAMPLE_MODELS, TEST_ROUTES } from './routes';

const MIGRATION = path.join(projectRoot(), 'test', 'support', 'example', 'migrations', '20260201000000-create-widgets.js');
/** uuidv7() on every server. The example is a service of its own: none of this checkout's resources' migrations. */
const FOUNDATION = path.join(projectRoot(), 'db', 'migrations', '20260101000000-foundation.js');

export interface ExampleApp {
  readonly app: Express;
  readonly database: Database;
  readonly scratch: ScratchDatabase;
  /** The SQL the app ran since the last call, statement by statement. */
  takeStatements(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The example service on a scratch database: keel's foundation migration and the example's, its models
 * initialised as bin/www does (initModels), the route table with the widgets entry, and the
 * header-reading settings hook. Every response is checked against the document.
 */
export async function startExampleApp(): Promise<ExampleApp> {
  const scratch = await createScratchDatabase();
  const config = testConfig({ DATABASE_URL: scratch.url });
  const sql: LogCapture = captureLog();
  const database = createDatabase(
    { ...config.database, url: scratch.url, logSqlText: true },
    createLogger({ env: 'production', logLevel: 'silly' }, sql.stream),
  );
  await loadMigration(FOUNDATION).up(database.sequelize.getQueryInterface(), Sequelize);
  await loadMigration(MIGRATION).up(database.sequelize.getQueryInterface(), Sequelize);
  initModels(database.sequelize, EXAMPLE_MODELS);
  const app = contractChecked(
    createApp({
      ...SERVICE,
      config,
      logger: silentLogger(),
      database,
      lifecycle: servingLifecycle(),
      version: readPackageInfo().version,
      routes: TEST_ROUTES,
      requestSettings: headerSettings,
    }),
    TEST_ROUTES,
  );
  let seen = 0;
  return {
    app,
    database,
    scratch,
    async takeStatements() {
      const entries = (await sql.entries()).filter((entry) => entry.message === 'query' && typeof entry.sql === 'string');
      const fresh = entries.slice(seen).map((entry) => String(entry.sql).replace(/^Execut\w+ \([^)]*\): /, ''));
      seen = entries.length;
      return fresh;
    },
    async close() {
      await database.close();
      await scratch.drop();
    },
  };
}

import { SERVICE } from './app';
import crypto from 'node:crypto';
import type { Express } from 'express';
import type { Logger } from 'winston';
import { createApp } from '../../lib/keel/http';
import { verifierFor, type TokenVerifier } from '../../lib/keel/auth';
import { MODELS } from '../../app/models';
import { initModels, type ModelDefinition } from '../../lib/keel/models';
import type { RequestSettingsHook, RouteEntry } from '../../lib/keel/http';
import { Sequelize } from 'sequelize';
import { ROUTES } from '../../app/routes';
import { readPackageInfo } from '../../config/project';
import { createDatabase, type Database } from '../../lib/keel/db';
import { contractChecked, servingLifecycle, silentLogger, testConfig } from './app';
import { adminQuery, createScratchDatabase, queryOnce, type ScratchDatabase } from './database';
import { startIdentityProvider } from './identity-provider';
import { loadMigration, runCliOk } from './migrations';
import { registerSentinel } from './sentinels';

/** Who a test calls as: the claims of its token. */
export interface TestCaller {
  readonly sub: string;
  /** The tenant_id claim; left out, the token names no tenant. */
  readonly tenant?: string;
  readonly scopes?: readonly string[];
}

export interface ResourceApp {
  readonly app: Express;
  readonly database: Database;
  readonly scratch: ScratchDatabase;
  /** The Authorization header of a caller, its token signed by the suite's identity provider. */
  bearer(caller: TestCaller): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** The audience the suite's services are configured with (AUTH_AUDIENCE). */
export const TEST_AUDIENCE = 'keel-tests';

export interface ResourceAppOptions {
  /**
   * Connect as an ordinary LOGIN role with read and write grants on the tables, not as the test
   * server's superuser: superusers (and BYPASSRLS roles) are never subject to row-level security.
   */
  readonly ordinaryRole?: boolean;
  readonly requestSettings?: RequestSettingsHook;
  /** Where the app logs (silent unless given). */
  readonly logger?: Logger;
  /** Another service than this checkout's (app/routes.ts, MODELS, db/migrations): the example's (test/support/example-app.ts). */
  readonly service?: TestService;
  /** Where the database logs the text of every statement (logSqlText), for tests that read the SQL a request ran. */
  readonly sqlLogger?: Logger;
}

/** A service's route table, its models, and the migration files that make its tables, applied in order. */
export interface TestService {
  readonly routes: readonly RouteEntry[];
  readonly models: readonly ModelDefinition[];
  readonly migrations: readonly string[];
}

/** Applies the migration files in order, as db:migrate would, without recording them. */
async function migrate(url: string, files: readonly string[]): Promise<void> {
  const sequelize = new Sequelize(url, { logging: false });
  try {
    for (const file of files) await loadMigration(file).up(sequelize.getQueryInterface(), Sequelize);
  } finally {
    await sequelize.close();
  }
}

/** A LOGIN role (cluster-wide: random name) that may read and write every table of the scratch database. */
async function ordinaryRole(scratch: ScratchDatabase): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `keel_app_${crypto.randomBytes(6).toString('hex')}`;
  const password = `App-Pw-${crypto.randomBytes(12).toString('hex')}`;
  await adminQuery(`CREATE ROLE ${name} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${password}'`);
  registerSentinel(password, 'the ordinary role’s password');
  await queryOnce(scratch.url, `GRANT USAGE ON SCHEMA public TO ${name}`);
  await queryOnce(scratch.url, `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${name}`);
  const url = new URL(scratch.url);
  url.username = name;
  url.password = password;
  return { url: url.toString(), drop: () => adminQuery(`DROP ROLE IF EXISTS ${name}`) };
}

/**
 * The app as bin/www serves it (the route table of app/routes.ts, the models of MODELS, or those of the
 * service given) on a scratch database migrated with every migration; every response is checked against
 * its document.
 */
export async function startResourceApp(options: ResourceAppOptions = {}): Promise<ResourceApp> {
  const scratch = await createScratchDatabase();
  if (options.service) await migrate(scratch.url, options.service.migrations);
  else await runCliOk('db:migrate', scratch.url);
  const routes = options.service?.routes ?? ROUTES;
  const role = options.ordinaryRole ? await ordinaryRole(scratch) : undefined;
  const url = role?.url ?? scratch.url;
  // An identity provider of the suite's own on 127.0.0.1, found through discovery as a deployed service finds its own.
  const provider = await startIdentityProvider({ audience: TEST_AUDIENCE });
  const config = testConfig({ DATABASE_URL: url, AUTH_ISSUER: provider.issuer, AUTH_AUDIENCE: TEST_AUDIENCE });
  const database = options.sqlLogger
    ? createDatabase({ ...config.database, url, logSqlText: true }, options.sqlLogger)
    : createDatabase({ ...config.database, url }, silentLogger());
  initModels(database.sequelize, options.service?.models ?? MODELS);
  const auth = (await verifierFor(config.auth, silentLogger())) as TokenVerifier;
  await auth.keys.refresh();
  const app = contractChecked(
    createApp({
      ...SERVICE,
      config,
      logger: options.logger ?? silentLogger(),
      database,
      lifecycle: servingLifecycle(),
      version: readPackageInfo().version,
      auth,
      routes,
      ...(options.requestSettings ? { requestSettings: options.requestSettings } : {}),
    }),
    routes,
  );
  return {
    app,
    database,
    scratch,
    async bearer({ sub, tenant, scopes = [] }) {
      const token = await provider.sign({
        sub,
        ...(tenant === undefined ? {} : { tenant_id: tenant }),
        ...(scopes.length ? { scope: scopes.join(' ') } : {}),
      });
      return { Authorization: `Bearer ${token}` };
    },
    async close() {
      auth.keys.close();
      await provider.close();
      await database.close();
      // The role's grants live in the scratch database: dropped with it, the role has nothing left.
      await scratch.drop();
      await role?.drop();
    },
  };
}

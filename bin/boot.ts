// Boot steps shared by the server (bin/www.ts) and the database scripts (bin/db.ts).
import { ConfigError, loadConfig, type Config } from '../config/env';
import type { Logger } from '../config/logger';
import { startEmbeddedDatabase, stopEmbeddedServersNow, type EmbeddedDatabase } from '../db/embedded';
import { runSequelizeCli } from '../db/migrate';

const EMBEDDED_DATABASE_NAME = 'keel';

export function loadConfigOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`keel: ${error.message}\nSee .env.example for every variable and its rule.\n`);
    process.exit(1);
  }
}

/** Development convenience: a real PostgreSQL (migrated for the server), when DATABASE_URL is unset. */
export async function startEmbedded(config: Config, logger: Logger, options: { migrate: boolean }): Promise<EmbeddedDatabase> {
  // A process that exits without stopping it (a fatal error, process.exit) still stops its PostgreSQL.
  process.once('exit', stopEmbeddedServersNow);
  const embedded = await startEmbeddedDatabase({
    dataDir: config.embeddedDatabase.dataDir,
    port: config.embeddedDatabase.port,
    databaseName: EMBEDDED_DATABASE_NAME,
    persistent: true,
    logger,
  });
  if (!options.migrate) return embedded;
  const migration = await runSequelizeCli('db:migrate', { ...process.env, NODE_ENV: config.env, DATABASE_URL: embedded.url });
  if (migration.code !== 0) {
    await embedded.stop();
    throw new Error(`migrating the embedded database failed:\n${migration.output}`);
  }
  logger.info('embedded database migrated', { output: migration.output.trim().split('\n').slice(-1)[0] });
  return embedded;
}

// Boot steps shared by the server (bin/www.ts) and the database scripts (bin/db.ts).
import path from 'node:path';
import { loadDotEnv } from '../config/dotenv';
import { EMBEDDED_DATABASE_NAME } from '../config/embedded-database';
import { ConfigError, loadConfig, type Config } from '../config/env';
import { redactText, type Logger } from '../config/logger';
import { startEmbeddedDatabase, stopEmbeddedServersNow, type EmbeddedDatabase } from '../lib/keel/db/embedded';
import type { ProbeReport } from '../lib/keel/db';
import type { ConnectFailureCause } from '../lib/keel/db/faults';
import { runSequelizeCli } from '../lib/keel/db/sequelize-cli';
import { projectRoot } from '../config/project';

export interface LoadedConfig {
  readonly config: Config;
  /** Variables taken from .env (development and test only), by name. */
  readonly fromDotEnv: readonly string[];
}

/** Reads .env where it applies (config/dotenv.ts), then validates the environment; exits 1 naming what is wrong. */
export function loadConfigOrExit(): LoadedConfig {
  try {
    const fromDotEnv = loadDotEnv(process.env, path.join(projectRoot(), '.env'));
    return { config: loadConfig(process.env), fromDotEnv };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`keel: ${error.message}\nSee .env.example for every variable and its rule.\n`);
    process.exit(1);
  }
}

/** The line written to stderr when startup fails: the error's message, with credentials in URLs masked. */
export function startupFailureMessage(error: unknown): string {
  return `keel: failed to start: ${redactText(error instanceof Error ? error.message : String(error))}\n`;
}

/**
 * A process pointed at a real database (DATABASE_URL) with NODE_ENV unset gets development
 * defaults, which suit a laptop and not a deployment: say so once, at boot.
 */
export function developmentDefaultsWarning(config: Config, nodeEnv: string | undefined): string | undefined {
  if (nodeEnv || config.env !== 'development' || !config.database.url) return undefined;
  const defaults = [
    ...(config.metrics.enabled && !config.metrics.token ? ['/metrics is open without a token'] : []),
    'logs are readable text rather than JSON lines',
    'slow-query logs carry SQL text',
  ];
  return (
    `NODE_ENV is not set: running with development defaults against DATABASE_URL (${defaults.join(', ')}); ` +
    'set NODE_ENV=production or staging when deployed, or NODE_ENV=development to confirm'
  );
}

/** What the service does with bearer tokens, said once at boot (a deployment that verifies none is never silent). */
export function authBootLine(config: Config): { level: 'info' | 'warn'; message: string; fields: Record<string, unknown> } {
  const { auth } = config;
  if (!auth.enabled) return { level: 'warn', message: 'AUTH=off: no bearer token is verified, and every route is public', fields: {} };
  if (auth.keys.from === 'provider') {
    return {
      level: 'info',
      message: 'verifying bearer tokens of the identity provider',
      fields: { issuer: auth.issuer, audience: auth.audience },
    };
  }
  return {
    level: 'info',
    message: auth.keys.file
      ? "verifying bearer tokens of keel's development issuer: get one with npm run token"
      : 'verifying bearer tokens of a development issuer whose key lives in this process only (no AUTH_ISSUER)',
    fields: { issuer: auth.issuer, audience: auth.audience },
  };
}

/** Development convenience: a real PostgreSQL (migrated for the server), when DATABASE_URL is unset. */
export async function startEmbedded(
  config: Config,
  logger: Logger,
  options: { migrate: boolean; stopExpected?: () => boolean },
): Promise<EmbeddedDatabase> {
  // A process that exits without stopping it (a fatal error, process.exit) still stops its PostgreSQL.
  process.once('exit', stopEmbeddedServersNow);
  const embedded = await startEmbeddedDatabase({
    dataDir: config.embeddedDatabase.dataDir,
    port: config.embeddedDatabase.port,
    databaseName: EMBEDDED_DATABASE_NAME,
    persistent: true,
    logger,
    ...(options.stopExpected ? { stopExpected: options.stopExpected } : {}),
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

const DOWN = 'readiness fails until it answers';
/** What the boot line says for each cause: an outage is waited out, a misconfiguration is fixed. */
const BOOT_FAILURES: Record<ConnectFailureCause, { level: 'warn' | 'error'; message: string }> = {
  refused: {
    level: 'warn',
    message: `database unreachable at boot: connection refused (nothing listens at DATABASE_URL's host and port); ${DOWN}`,
  },
  timed_out: { level: 'warn', message: `database unreachable at boot: connecting timed out (DB_CONNECT_TIMEOUT_MS); ${DOWN}` },
  host_not_found: { level: 'warn', message: `database unreachable at boot: DATABASE_URL's host name does not resolve; ${DOWN}` },
  connection_lost: { level: 'warn', message: `database unreachable at boot: the connection closed while it was being opened; ${DOWN}` },
  too_many_connections: {
    level: 'warn',
    message: `database refused a connection at boot: too many connections for the server, the role or the database (53300; docs/operations.md#connection-budget); ${DOWN}`,
  },
  authentication_failed: {
    level: 'error',
    message:
      "database refused the login at boot: authentication failed for DATABASE_URL's user and password (a misconfiguration: " +
      'fix them, percent-encoding the password; waiting will not help); readiness fails until it is fixed',
  },
  database_not_found: {
    level: 'error',
    message:
      'database not found at boot: the database DATABASE_URL names does not exist on the server (a misconfiguration: create ' +
      'it or fix the name); readiness fails until it is fixed',
  },
  tls_refused: {
    level: 'error',
    message:
      "database refused the connection's TLS settings at boot (a misconfiguration: set DATABASE_SSL, DATABASE_SSL_CA or the " +
      "URL's sslmode to what the server accepts); readiness fails until it is fixed",
  },
};

/** The line the first probe's outcome gets at boot: what is wrong, and whether waiting or fixing is the remedy. */
export function databaseBootLine(report: ProbeReport): {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
} {
  if (report.status !== 'fail') return { level: 'info', message: 'database reachable', fields: { responseTimeMs: report.responseTimeMs } };
  const cause = report.fault?.cause;
  const fields = { code: report.fault?.code, ...(cause ? { cause } : {}), ...(report.reason ? { reason: redactText(report.reason) } : {}) };
  const failure = cause ? BOOT_FAILURES[cause] : { level: 'warn' as const, message: `database unreachable at boot; ${DOWN}` };
  return { ...failure, fields };
}

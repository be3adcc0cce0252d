import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, type ClientConfig } from 'pg';
import { createLogger } from '../../config/logger';
import { startEmbeddedDatabase, stopEmbeddedServersNow } from '../../lib/keel/db/embedded';

/**
 * The PostgreSQL the suite talks to: TEST_DATABASE_URL when set, else an embedded PostgreSQL 18
 * started once for the run in a temporary directory (deleted when it stops).
 */
let serverUrl: string | undefined;
let embedded: TemporaryPostgres | undefined;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface TemporaryPostgres {
  /** URL of its database databaseName, as the superuser. */
  readonly url: string;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
}

/** An embedded PostgreSQL in a new temporary directory on a free port, deleted when it stops. */
export async function startTemporaryPostgres(prefix: string, databaseName = 'postgres'): Promise<TemporaryPostgres> {
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  // PostgreSQL runs as the unprivileged postgres user when we are root: it must reach the directory.
  await fs.chmod(parent, 0o755);
  // mocha --exit, or a crash, ends the process: the server must not outlive it.
  process.once('exit', stopEmbeddedServersNow);
  const embedded = await startEmbeddedDatabase({
    dataDir: path.join(parent, 'postgres'),
    port: await freePort(),
    databaseName,
    persistent: false,
    logger: createLogger({ env: 'test', logLevel: 'silent' }),
  });
  return {
    // The suite creates scratch databases and roles: it needs the superuser, not the service's role.
    url: embedded.adminUrl,
    async stop() {
      await embedded.stop();
      await fs.rm(parent, { recursive: true, force: true });
    },
  };
}

export async function startTestDatabase(): Promise<void> {
  const fromEnv = process.env.TEST_DATABASE_URL;
  if (fromEnv) {
    serverUrl = fromEnv;
    return;
  }
  embedded = await startTemporaryPostgres('keel-test-pg-', 'keel_test');
  serverUrl = embedded.url;
}

export async function stopTestDatabase(): Promise<void> {
  await dropSpares();
  await embedded?.stop();
  embedded = undefined;
}

/** URL of the shared test database; tests that change schema or data use a scratch database. */
export function testDatabaseUrl(): string {
  if (!serverUrl) throw new Error('the test database is not started (test/support/hooks.ts)');
  return serverUrl;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export interface ScratchDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** Runs one statement on its own connection to the test server (for setup, not the code under test). */
export async function adminQuery(sql: string): Promise<void> {
  await queryOnce(testDatabaseUrl(), sql);
}

/** A new, empty database named <prefix>_<random> on the server at onServer (a URL); drop() removes it. */
export async function createDatabase(onServer: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${crypto.randomBytes(6).toString('hex')}`;
  await queryOnce(onServer, `CREATE DATABASE ${name}`);
  return {
    name,
    url: withDatabase(onServer, name),
    drop: async () => {
      await queryOnce(onServer, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

// CREATE DATABASE copies template1, about 0.3 s of the server's time: two are made ahead of need,
// while the tests before them run, so a test that asks for one rarely waits. Each is used once.
const SPARE_SCRATCH_DATABASES = 2;
let spares: Promise<ScratchDatabase>[] = [];

function makeSpares(): void {
  while (spares.length < SPARE_SCRATCH_DATABASES) {
    const spare = createDatabase(testDatabaseUrl(), 'keel_scratch');
    // Awaited when it is handed out (or dropped at the end); until then its failure must not go unhandled.
    spare.catch(() => undefined);
    spares.push(spare);
  }
}

/** A new, empty database on the test server, for a test that needs its own state. */
export function createScratchDatabase(): Promise<ScratchDatabase> {
  const next = spares.shift() ?? createDatabase(testDatabaseUrl(), 'keel_scratch');
  makeSpares();
  return next;
}

/** Drops the spares nobody asked for, so that a shared server (TEST_DATABASE_URL) keeps none of them. */
async function dropSpares(): Promise<void> {
  const left = spares;
  spares = [];
  await Promise.all(left.map(async (spare) => (await spare.catch(() => undefined))?.drop()));
}

/** Runs one query on its own connection (not through the code under test). */
export async function queryOnce<T extends Record<string, unknown>>(
  url: string,
  sql: string,
  values: unknown[] = [],
  settings: Omit<ClientConfig, 'connectionString'> = {},
): Promise<T[]> {
  const client = new Client({ ...settings, connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

export async function serverVersionNum(url: string = testDatabaseUrl()): Promise<number> {
  const [row] = await queryOnce<{ v: string }>(url, "SELECT current_setting('server_version_num') AS v");
  return Number(row?.v);
}

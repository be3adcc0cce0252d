import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createLogger } from '../../config/logger';
import { startEmbeddedDatabase, stopEmbeddedServersNow, type EmbeddedDatabase } from '../../db/embedded';

/**
 * The PostgreSQL the suite talks to: TEST_DATABASE_URL when set, else an embedded PostgreSQL 18
 * started once for the run in a temporary directory (deleted when it stops).
 */
let serverUrl: string | undefined;
let embedded: EmbeddedDatabase | undefined;

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

export async function startTestDatabase(): Promise<void> {
  const fromEnv = process.env.TEST_DATABASE_URL;
  if (fromEnv) {
    serverUrl = fromEnv;
    return;
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-test-pg-'));
  // mocha --exit, or a crash, ends the process: the server must not outlive the run.
  process.once('exit', stopEmbeddedServersNow);
  embedded = await startEmbeddedDatabase({
    dataDir,
    port: await freePort(),
    databaseName: 'keel_test',
    persistent: false,
    logger: createLogger({ env: 'test', logLevel: 'silent' }),
  });
  serverUrl = embedded.url;
}

export async function stopTestDatabase(): Promise<void> {
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
  const client = new Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the test server, for a test that needs its own state. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `keel_scratch_${crypto.randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    name,
    url: withDatabase(testDatabaseUrl(), name),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Runs one query on its own connection (not through the code under test). */
export async function queryOnce<T extends Record<string, unknown>>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
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

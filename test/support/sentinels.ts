import crypto from 'node:crypto';
import { adminQuery, testDatabaseUrl } from './database';

/**
 * Secrets that must never reach a process's output or a response, anywhere in the suite.
 *
 * Values are registered once (the test database's password, the sentinel METRICS_TOKEN, the sentinel
 * role's password); test/support/process.ts hands every spawned process's output to watchOutput(),
 * test/support/contract.ts every response the suite receives to scanText(), and the root hooks
 * (test/support/hooks.ts) fail the test during which a secret showed up.
 */
interface Sentinel {
  readonly value: string;
  /** What the value is, for the failure message (which never prints the value itself). */
  readonly name: string;
}

interface Source {
  readonly label: string;
  readonly read: () => string;
  readonly finished: () => boolean;
  /** Sentinels already reported for this source, so a leak fails one test, not every later one. */
  readonly reported: Set<string>;
}

const sentinels = new Map<string, Sentinel>();
const sources = new Set<Source>();
const leaks: string[] = [];

/** Adds a secret to look for. Short or empty values are ignored: they would match by chance. */
export function registerSentinel(value: string, name: string): void {
  if (value.length >= 8) sentinels.set(value, { value, name });
}

function leaked(text: string): Sentinel[] {
  return [...sentinels.values()].filter((sentinel) => text.includes(sentinel.value));
}

/** Scans one piece of text now (a response body and its headers, say). */
export function scanText(text: string, where: string): void {
  for (const sentinel of leaked(text)) leaks.push(`${sentinel.name} appeared in ${where}`);
}

/** Keeps a source of output (a spawned process) to scan at every takeSentinelLeaks() until it has finished. */
export function watchOutput(label: string, read: () => string, finished: () => boolean): void {
  sources.add({ label, read, finished, reported: new Set() });
}

/** Scans every watched source and returns (and forgets) what leaked since the last call. */
export function takeSentinelLeaks(): string[] {
  for (const source of [...sources]) {
    // Read the state first: output written before the process ended is all there in read().
    const done = source.finished();
    for (const sentinel of leaked(source.read())) {
      if (source.reported.has(sentinel.value)) continue;
      source.reported.add(sentinel.value);
      leaks.push(`${sentinel.name} appeared in the output of ${source.label}`);
    }
    if (done) sources.delete(source);
  }
  return leaks.splice(0);
}

/** How many secrets the suite is watching for (a check that the scan has something to find). */
export const sentinelCount = (): number => sentinels.size;

// ─── A database role whose password is a sentinel ──────────────────────────────────────────────

export interface SentinelRole {
  readonly name: string;
  readonly password: string;
  /** The test database, logged in as the sentinel role. */
  readonly url: string;
}

let role: Promise<SentinelRole> | undefined;

/**
 * A LOGIN role with a sentinel password (roles are cluster-wide: a random name, dropped by the root
 * after-all hook), created on first use. The embedded server checks the password (scram); a trust
 * server ignores it, but it still travels through keel's configuration, logs and errors.
 */
export function sentinelRole(): Promise<SentinelRole> {
  role ??= (async () => {
    const suffix = crypto.randomBytes(6).toString('hex');
    const name = `keel_sentinel_${suffix}`;
    const password = `Sentinel-Pw-${crypto.randomBytes(12).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
    registerSentinel(password, 'the sentinel database password');
    const url = new URL(testDatabaseUrl());
    url.username = name;
    url.password = password;
    return { name, password, url: url.toString() };
  })();
  return role;
}

/** Drops the sentinel role if one was created (root after-all hook). */
export async function dropSentinelRole(): Promise<void> {
  if (!role) return;
  const { name } = await role;
  role = undefined;
  await adminQuery(`DROP ROLE IF EXISTS ${name}`);
}

/** A METRICS_TOKEN that passes validation and is watched for everywhere. */
export const SENTINEL_METRICS_TOKEN = `Mt-Sentinel-${crypto.randomBytes(16).toString('hex')}`;
registerSentinel(SENTINEL_METRICS_TOKEN, 'the sentinel METRICS_TOKEN');

/** The test server's own password (the embedded server has one; a trust server has none). */
export function registerTestDatabasePassword(): void {
  registerSentinel(decodeURIComponent(new URL(testDatabaseUrl()).password), "the test database's password");
}

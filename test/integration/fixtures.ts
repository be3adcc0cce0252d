import { expect } from 'chai';
import type { Database } from '../../lib/keel/db';
import { testDatabase } from '../support/app';
import { freePort } from '../support/database';

/** Parts of a postgres:// URL that must never reach a client. */
export interface ConnectionDetails {
  readonly host: string;
  readonly port: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export function connectionDetails(url: string): ConnectionDetails {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port || '5432',
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.slice(1)),
  };
}

/** Every string value in a JSON body (keys are the schema's words, not data). */
function stringValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringValues);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringValues);
  return [];
}

/**
 * Fails if a body names the host, port, user, password or database of the URL: in any string
 * value (JSON bodies) or anywhere in the text (other bodies), and as a whole number for the port.
 */
export function expectNoConnectionDetails(text: string, url: string, allowed: readonly (keyof ConnectionDetails)[] = []): void {
  const details = connectionDetails(url);
  let values: string[];
  try {
    values = stringValues(JSON.parse(text));
  } catch {
    values = [text];
  }
  for (const [part, value] of Object.entries(details) as [keyof ConnectionDetails, string][]) {
    if (!value || allowed.includes(part)) continue;
    if (part === 'port') {
      // A port is digits: only a whole number counts, not the same digits inside a longer one.
      expect(new RegExp(`(^|[^0-9])${value}([^0-9]|$)`).test(text), `the ${part} (${value}) appears in: ${text}`).to.equal(false);
    } else {
      for (const found of values) expect(found, `the ${part} appears in the body: ${text}`).not.to.include(value);
    }
  }
}

/**
 * A URL no server answers (a port just found free on 127.0.0.1), with distinctive user, password
 * and database names so a leak of any of them into a response is visible.
 */
export async function unreachableDatabaseUrl(): Promise<string> {
  return `postgres://keel_leak_user:keel_leak_password@127.0.0.1:${await freePort()}/keel_leak_database`;
}

/** A Database whose server is down: connecting is refused at once; every budget is short. */
export async function unreachableDatabase(url?: string): Promise<Database> {
  return testDatabase({
    DATABASE_URL: url ?? (await unreachableDatabaseUrl()),
    DB_CONNECT_TIMEOUT_MS: '500',
    DB_POOL_ACQUIRE_MS: '1000',
    DB_STATEMENT_TIMEOUT_MS: '2000',
  });
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

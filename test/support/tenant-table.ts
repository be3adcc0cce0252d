// A table under row-level security exactly as `npm run generate:resource -- keel_test_notes body:text --tenant`
// makes it (ENABLE and FORCE, a policy on app.tenant_id), and what a session sees of it.
import fs from 'node:fs';
import path from 'node:path';
import { migrationSource } from '../../lib/keel/generator/files';
import { parseArguments } from '../../lib/keel/generator/spec';
import { queryOnce } from './database';

export const TENANT_A = '0197a1a0-0000-7000-8000-00000000000a';
export const TENANT_B = '0197a1a0-0000-7000-8000-00000000000b';

/** Writes the generated migration of the keel_test_notes table into migrationsDir (after keel's own); returns its file name. */
export function writeTenantMigration(migrationsDir: string): string {
  const name = '20990101000000-create-keel-test-notes.js';
  const spec = parseArguments(['keel_test_notes', 'body:text', '--tenant']);
  fs.writeFileSync(path.join(migrationsDir, name), migrationSource(spec, 'create-keel-test-notes'));
  return name;
}

/** One statement in a session of its own, with app.tenant_id set for the session when tenant is given. */
function inSession<T extends Record<string, unknown>>(url: string, tenant: string | undefined, sql: string, values: unknown[] = []) {
  return queryOnce<T>(url, sql, values, tenant === undefined ? {} : { options: `-c app.tenant_id=${tenant}` });
}

/** Adds a note for tenant: its tenant_id comes from the setting, as the generated column default takes it. */
export async function insertNote(url: string, tenant: string, body: string): Promise<void> {
  await inSession(url, tenant, 'INSERT INTO keel_test_notes (body) VALUES ($1)', [body]);
}

/** The bodies of the notes a session sees, with app.tenant_id set to tenant, or not set at all. */
export async function visibleNotes(url: string, tenant?: string): Promise<string[]> {
  return (await inSession<{ body: string }>(url, tenant, 'SELECT body FROM keel_test_notes ORDER BY body')).map((row) => row.body);
}

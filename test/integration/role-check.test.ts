import crypto from 'node:crypto';
import { expect } from 'chai';
import { readDatabaseRole } from '../../lib/keel/db/role-check';
import { testDatabase } from '../support/app';
import { adminQuery, createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';
import { registerSentinel } from '../support/sentinels';

describe('readDatabaseRole on a real PostgreSQL', function () {
  this.timeout(30_000);
  let scratch: ScratchDatabase;
  const role = `keel_owner_${crypto.randomBytes(6).toString('hex')}`;
  const password = `Owner-Pw-${crypto.randomBytes(12).toString('hex')}`;
  registerSentinel(password, 'the owner role’s password');

  before(async () => {
    scratch = await createScratchDatabase();
    await adminQuery(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${password}'`);
    await queryOnce(scratch.url, `GRANT CREATE, USAGE ON SCHEMA public TO ${role}`);
  });

  after(async () => {
    await scratch?.drop();
    await adminQuery(`DROP ROLE IF EXISTS ${role}`);
  });

  it('counts the tables the role owns whose row-level security is enabled but not forced, and only those', async () => {
    const url = new URL(scratch.url);
    url.username = role;
    url.password = password;
    for (const [table, force] of [
      ['keel_test_enabled_only', false],
      ['keel_test_forced', true],
    ] as const) {
      await queryOnce(url.toString(), `CREATE TABLE ${table} (id int)`);
      await queryOnce(url.toString(), `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      if (force) await queryOnce(url.toString(), `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
    }
    await queryOnce(scratch.url, 'CREATE TABLE keel_test_not_theirs (id int)');
    await queryOnce(scratch.url, 'ALTER TABLE keel_test_not_theirs ENABLE ROW LEVEL SECURITY');
    const database = testDatabase({ DATABASE_URL: url.toString() });

    try {
      const found = await readDatabaseRole(database.sequelize);

      const { connectionLimits, ...security } = found;
      expect(security).to.deep.equal({ name: role, superuser: false, bypassRls: false, tablesUnderRls: 3, ownedUnforced: 1 });
      // Read in the same statement (test/integration/connection-budget.test.ts checks the values).
      expect(connectionLimits).to.include({ superuser: false, roleLimit: -1 });
    } finally {
      await database.close();
    }
  });
});

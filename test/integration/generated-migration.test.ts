import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sequelize } from 'sequelize';
import { migrationSource } from '../../lib/keel/generator/files';
import { parseArguments } from '../../lib/keel/generator/spec';
import { projectRoot } from '../../config/project';
import { createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';
import { loadMigration } from '../support/migrations';

/**
 * The migration npm run generate:resource writes, run on a real PostgreSQL: column names are the
 * user's, and SQL reserves many a good one (order, user, check).
 */
describe('npm run generate:resource: its migration', function () {
  this.timeout(30_000);
  let scratch: ScratchDatabase;
  let sequelize: Sequelize;
  let dir: string;

  beforeEach(async () => {
    scratch = await createScratchDatabase();
    sequelize = new Sequelize(scratch.url, { logging: false });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-generated-migration-'));
    // uuidv7() below PostgreSQL 18 comes from the foundation migration, as in a real project.
    await loadMigration(path.join(projectRoot(), 'db', 'migrations', '20260101000000-foundation.js')).up(
      sequelize.getQueryInterface(),
      Sequelize,
    );
  });

  afterEach(async () => {
    await sequelize.close();
    await scratch.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function generated(args: readonly string[]): ReturnType<typeof loadMigration> {
    const file = path.join(dir, `${args.join('-').replace(/\W+/g, '-')}.js`);
    fs.writeFileSync(file, migrationSource(parseArguments(args), 'create-orders'));
    return loadMigration(file);
  }

  for (const tenant of [false, true]) {
    it(`creates and drops a table whose columns are SQL reserved words${tenant ? ', under row-level security' : ''}`, async () => {
      const migration = generated([
        'orders',
        'order:integer:unique',
        'user:string',
        'check:date:optional',
        ...(tenant ? ['--tenant'] : []),
      ]);

      await migration.up(sequelize.getQueryInterface(), Sequelize);
      const columns = await queryOnce<{ column_name: string }>(
        scratch.url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position",
      );
      const [unique] = await queryOnce<{ definition: string }>(
        scratch.url,
        "SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conname = 'orders_order_key'",
      );
      await migration.down(sequelize.getQueryInterface(), Sequelize);
      const [left] = await queryOnce<{ table: string | null }>(scratch.url, "SELECT to_regclass('orders')::text AS table");

      expect(columns.map((column) => column.column_name)).to.deep.equal([
        'id',
        ...(tenant ? ['tenant_id'] : []),
        'order',
        'user',
        'check',
        'created_at',
        'updated_at',
      ]);
      expect(unique?.definition).to.equal(tenant ? 'UNIQUE (tenant_id, "order")' : 'UNIQUE ("order")');
      expect(left?.table).to.equal(null);
    });
  }
});

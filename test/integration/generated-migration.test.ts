import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sequelize } from 'sequelize';
import { addColumnsSource, addedFields, migrationSource, modelSource } from '../../lib/keel/generator/files';
import { projectResources } from '../../lib/keel/generator/project';
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

  /**
   * Generates each resource in turn in a project of its own (a references field reads its parent off the
   * files written before it), and applies its migration.
   */
  async function migrate(...resources: readonly (readonly string[])[]): Promise<void> {
    const project = path.join(dir, 'project');
    fs.mkdirSync(path.join(project, 'app', 'models'), { recursive: true });
    fs.mkdirSync(path.join(project, 'db', 'migrations'), { recursive: true });
    for (const [index, args] of resources.entries()) {
      const spec = parseArguments(args, projectResources(project));
      const file = path.join(project, 'db', 'migrations', `2026010100000${index}-create-${spec.pluralFile}.js`);
      fs.writeFileSync(path.join(project, 'app', 'models', `${spec.file}.ts`), modelSource(spec));
      fs.writeFileSync(file, migrationSource(spec, `create-${spec.pluralFile}`));
      await loadMigration(file).up(sequelize.getQueryInterface(), Sequelize);
    }
  }

  /** Runs the statements in one transaction, as the tenant when given (app.tenant_id); the SQLSTATE of a refusal. */
  async function run(statements: readonly string[], tenant?: string): Promise<string | undefined> {
    try {
      await sequelize.transaction(async (transaction) => {
        if (tenant) await sequelize.query(`SELECT set_config('app.tenant_id', '${tenant}', true)`, { transaction });
        for (const statement of statements) await sequelize.query(statement, { transaction });
      });
      return undefined;
    } catch (error) {
      return (error as { parent?: { code?: string } }).parent?.code ?? String(error);
    }
  }

  /**
   * npm run generate:migration's migration for fields added to a resource migrated before (the last file
   * migrate() wrote), applied; its down() returned to run later.
   */
  async function addFields(plural: string, ...fields: readonly string[]): Promise<() => Promise<void>> {
    const project = path.join(dir, 'project');
    const resources = projectResources(project);
    const resource = resources.find({ plural });
    const spec = parseArguments(
      [plural, `--singular=${resource.singular}`, ...(resource.tenant ? ['--tenant'] : []), ...fields],
      resources,
    );
    const file = path.join(project, 'db', 'migrations', `20260102000000-add-to-${spec.pluralFile}.js`);
    fs.writeFileSync(file, addColumnsSource(`add-to-${spec.pluralFile}`, spec, addedFields(spec)));
    const migration = loadMigration(file);
    await migration.up(sequelize.getQueryInterface(), Sequelize);
    return () => migration.down(sequelize.getQueryInterface(), Sequelize);
  }

  it('generate:migration adds columns as generate:resource declares them (nullability, unique), and down() drops them', async () => {
    await migrate(['widgets', 'name:string']);
    await run([`INSERT INTO widgets (name) VALUES ('before')`]);

    const down = await addFields('widgets', 'colour:string:optional', 'sku:string:unique:optional', 'seen_at:timestamp:optional');
    const columns = await queryOnce<{ column_name: string; data_type: string; is_nullable: string }>(
      scratch.url,
      "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'widgets' ORDER BY ordinal_position",
    );
    const duplicate = await run([`INSERT INTO widgets (name, sku) VALUES ('a', 'x')`, `INSERT INTO widgets (name, sku) VALUES ('b', 'x')`]);
    await down();
    const after = await queryOnce<{ column_name: string }>(
      scratch.url,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'widgets' ORDER BY ordinal_position",
    );

    expect(columns.slice(-3)).to.deep.equal([
      { column_name: 'colour', data_type: 'character varying', is_nullable: 'YES' },
      { column_name: 'sku', data_type: 'character varying', is_nullable: 'YES' },
      { column_name: 'seen_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
    ]);
    expect(duplicate).to.equal('23505');
    expect(after.map((column) => column.column_name)).to.deep.equal(['id', 'name', 'created_at', 'updated_at']);
  });

  it('generate:migration: a required column fails on a table with rows (23502), leaving it as it was; on an empty one it is NOT NULL', async () => {
    await migrate(['widgets', 'name:string'], ['gadgets', 'name:string']);
    await run([`INSERT INTO widgets (name) VALUES ('before')`]);

    const onRows = await addFields('widgets', 'size:integer').then(
      () => undefined,
      (error: { parent?: { code?: string } }) => error.parent?.code,
    );
    await addFields('gadgets', 'size:integer');
    const [size] = await queryOnce<{ is_nullable: string }>(
      scratch.url,
      "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'gadgets' AND column_name = 'size'",
    );
    const widgetColumns = await queryOnce(
      scratch.url,
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'widgets' AND column_name = 'size'",
    );

    expect(onRows).to.equal('23502');
    expect(widgetColumns).to.deep.equal([]);
    expect(size?.is_nullable).to.equal('NO');
  });

  it("generate:migration --tenant: a reference added later refers only to its own tenant's parent; a unique field is unique per tenant", async () => {
    const [a, b] = ['0190a000-0000-7000-8000-00000000000a', '0190b000-0000-7000-8000-00000000000b'];
    await migrate(['accounts', 'name:string', '--tenant'], ['projects', 'title:text', '--tenant']);

    await addFields('projects', 'account:references:optional', 'code:string:unique:optional');
    const parent = await run([`INSERT INTO accounts (id, name) VALUES ('${CUSTOMER}', 'a')`], a);
    const otherTenant = await run([`INSERT INTO projects (account_id, title) VALUES ('${CUSTOMER}', 'b')`], b);
    const sameTenant = await run([`INSERT INTO projects (account_id, title, code) VALUES ('${CUSTOMER}', 'a', 'p1')`], a);
    const sameCodeOtherTenant = await run([`INSERT INTO projects (title, code) VALUES ('b', 'p1')`], b);
    const sameCodeSameTenant = await run([`INSERT INTO projects (title, code) VALUES ('a2', 'p1')`], a);
    const [index] = await queryOnce<{ definition: string }>(
      scratch.url,
      "SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index WHERE indexrelid = 'projects_account_id_idx'::regclass",
    );

    expect([parent, otherTenant, sameTenant, sameCodeOtherTenant, sameCodeSameTenant]).to.deep.equal([
      undefined,
      '23503',
      undefined,
      undefined,
      '23505',
    ]);
    expect(index?.definition).to.match(/ON public\.projects USING btree \(account_id, id\)$/);
  });

  const CUSTOMER = '01900000-0000-7000-8000-0000000000c1';
  const ORDER = '01900000-0000-7000-8000-0000000000d1';
  const UNKNOWN = '01900000-0000-7000-8000-000000000000';

  it("refers to its parent: refuses an id no parent has, and a referenced parent's delete (RESTRICT), with an index on the reference", async () => {
    await migrate(['customers', 'name:string'], ['orders', 'customer:references', 'total:decimal']);

    const unknown = await run([`INSERT INTO orders (customer_id, total) VALUES ('${UNKNOWN}', 1)`]);
    const created = await run([
      `INSERT INTO customers (id, name) VALUES ('${CUSTOMER}', 'c')`,
      `INSERT INTO orders (customer_id, total) VALUES ('${CUSTOMER}', 1)`,
    ]);
    const deleted = await run([`DELETE FROM customers WHERE id = '${CUSTOMER}'`]);
    const [index] = await queryOnce<{ definition: string }>(
      scratch.url,
      "SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index WHERE indexrelid = 'orders_customer_id_idx'::regclass",
    );

    expect(unknown).to.equal('23503');
    expect(created).to.equal(undefined);
    // foreign_key_violation up to PostgreSQL 17; restrict_violation from 18 (ON DELETE RESTRICT).
    expect(deleted).to.be.oneOf(['23503', '23001']);
    expect(index?.definition).to.match(/ON public\.orders USING btree \(customer_id, id\)$/);
  });

  it('deletes the rows with their parent under :cascade, and empties their reference under :set-null', async () => {
    await migrate(
      ['customers', 'name:string'],
      ['orders', 'customer:references:cascade', 'total:decimal'],
      ['invoices', 'customer:references:optional:set-null', 'number:integer'],
    );

    const deleted = await run([
      `INSERT INTO customers (id, name) VALUES ('${CUSTOMER}', 'c')`,
      `INSERT INTO orders (customer_id, total) VALUES ('${CUSTOMER}', 1)`,
      `INSERT INTO invoices (customer_id, number) VALUES ('${CUSTOMER}', 7)`,
      `DELETE FROM customers WHERE id = '${CUSTOMER}'`,
    ]);
    const orders = await queryOnce(scratch.url, 'SELECT * FROM orders');
    const invoices = await queryOnce<{ customer_id: string | null; number: number }>(
      scratch.url,
      'SELECT customer_id, number FROM invoices',
    );

    expect(deleted).to.equal(undefined);
    expect(orders).to.deep.equal([]);
    expect(invoices).to.deep.equal([{ customer_id: null, number: 7 }]);
  });

  it("--tenant: refers only to a parent of its own tenant, and :set-null empties the reference, not the row's tenant", async () => {
    const [a, b] = ['0190a000-0000-7000-8000-00000000000a', '0190b000-0000-7000-8000-00000000000b'];
    await migrate(['accounts', 'name:string', '--tenant'], ['projects', 'account:references:optional:set-null', 'title:text', '--tenant']);

    const parent = await run([`INSERT INTO accounts (id, name) VALUES ('${CUSTOMER}', 'a')`], a);
    const otherTenant = await run([`INSERT INTO projects (account_id, title) VALUES ('${CUSTOMER}', 'b')`], b);
    const sameTenant = await run([`INSERT INTO projects (id, account_id, title) VALUES ('${ORDER}', '${CUSTOMER}', 'a')`], a);
    const deleted = await run([`DELETE FROM accounts WHERE id = '${CUSTOMER}'`], a);
    const projects = await queryOnce(scratch.url, 'SELECT id, tenant_id, account_id FROM projects');

    expect([parent, otherTenant, sameTenant, deleted]).to.deep.equal([undefined, '23503', undefined, undefined]);
    expect(projects).to.deep.equal([{ id: ORDER, tenant_id: a, account_id: null }]);
  });
});

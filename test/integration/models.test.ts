import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Sequelize } from 'sequelize';
import { MODELS } from '../../app/models';
import { initModels } from '../../lib/keel/models';
import type { Database } from '../../lib/keel/db';
import { testDatabase } from '../support/app';
import { createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';
import { Customer, type CustomerRow } from '../support/example/app/models/customer';
import { Order, type OrderRow } from '../support/example/app/models/order';
import { EXAMPLE_SERVICE } from '../support/example-app';
import { generatorSandbox, loadMigration, migrationsDirectory, type GeneratorSandbox, type MigrationModule } from '../support/migrations';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FOUNDATION = path.join(migrationsDirectory(), '20260101000000-foundation.js');
const GENERATED_NAME = /^(\d{14})-create-widgets\.js$/;

/** UTC yyyymmddhhmmss, the stamp sequelize-cli migration names start with. */
const utcStamp = (date: Date): string => date.toISOString().replace(/\D/g, '').slice(0, 14);

describe('the migration generator (lib/keel/generator/new-migration.js)', () => {
  let sandbox: GeneratorSandbox;

  beforeEach(() => {
    sandbox = generatorSandbox();
  });

  afterEach(() => {
    fs.rmSync(sandbox.root, { recursive: true, force: true });
  });

  it('writes migrations/<14-digit UTC timestamp>-<name>.js, a CommonJS module with up() and down()', () => {
    const before = utcStamp(new Date());

    const result = sandbox.run('create-widgets');

    const after = utcStamp(new Date());
    expect(result.status, result.stderr).to.equal(0);
    const files = fs.readdirSync(sandbox.migrations);
    expect(files).to.have.length(1);
    const [file = ''] = files;
    const stamp = GENERATED_NAME.exec(file)?.[1] ?? '';
    expect(stamp, `file name ${file}`).to.match(/^\d{14}$/);
    expect(stamp >= before && stamp <= after, `stamp ${stamp} between ${before} and ${after}`).to.equal(true);
    expect(result.stdout.trim()).to.equal(`created ${path.join('db', 'migrations', file)}`);
    const text = fs.readFileSync(path.join(sandbox.migrations, file), 'utf8');
    expect(text, 'placeholders left').not.to.match(/__[A-Z]+__/);
    expect(text).to.include('CREATE TABLE "widgets" (').and.to.include(`'DROP TABLE "widgets"'`).and.to.include('// create-widgets:');
    loadMigration(path.join(sandbox.migrations, file));
  });

  /** The one migration the sandbox holds, as text. */
  const onlyMigration = (): string => {
    const [file = ''] = fs.readdirSync(sandbox.migrations);
    return fs.readFileSync(path.join(sandbox.migrations, file), 'utf8');
  };

  it('makes create-<words> a table named by the words joined with underscores', () => {
    const result = sandbox.run('create-stock-items');

    expect(result.status, result.stderr).to.equal(0);
    expect(onlyMigration()).to.include('CREATE TABLE "stock_items" (').and.to.include(`'DROP TABLE "stock_items"'`);
  });

  it('gives any other name a migration that names no table: its statements are the author’s to write', () => {
    const result = sandbox.run('add-colour-to-widgets');

    expect(result.status, result.stderr).to.equal(0);
    const text = onlyMigration();
    expect(text).to.include('// add-colour-to-widgets:').and.to.include('const UP = [').and.to.include('const DOWN = [');
    expect(text, 'no table guessed from the name').not.to.match(/CREATE TABLE|DROP TABLE|createTable|dropTable/);
    expect(text, 'placeholders left').not.to.match(/__[A-Z]+__/);
  });

  it('refuses create-<table> when the table name would not start with a letter, writing nothing', () => {
    const result = sandbox.run('create-2fa-codes');

    expect(result.status).to.equal(2);
    expect(result.stderr).to.include('"2fa_codes"').and.to.include('usage');
    expect(fs.readdirSync(sandbox.migrations)).to.deep.equal([]);
  });

  for (const bad of ['', 'CreateWidgets', 'create_widgets', 'create widgets', '-widgets', '../widgets']) {
    it(`refuses the name ${JSON.stringify(bad)} with usage and exit code 2, writing nothing`, () => {
      const result = sandbox.run(bad);

      expect(result.status).to.equal(2);
      expect(result.stderr).to.include('usage');
      expect(fs.readdirSync(sandbox.migrations)).to.deep.equal([]);
      expect(fs.readdirSync(path.join(sandbox.root, 'db')), 'nothing written beside migrations/').to.deep.equal(['migrations']);
    });
  }
});

describe('models', () => {
  describe('initModels(sequelize) in the product', () => {
    it('registers exactly MODELS (keel ships none; generated resources add theirs), each under its name', async () => {
      const database = testDatabase();
      try {
        const registry = initModels(database.sequelize, MODELS);

        expect(Object.values(registry)).to.have.members([...MODELS]);
        expect(Object.keys(database.sequelize.models)).to.have.members(Object.keys(registry));
      } finally {
        await database.close();
      }
    });
  });

  describe('initModels(sequelize, [Customer, Order]) on the tables of their generated migrations (test/support/example)', function () {
    this.timeout(60_000);

    let scratch: ScratchDatabase;
    let database: Database;
    /** The foundation's, then the example's customers and orders, in the order they run. */
    let migrations: MigrationModule[];

    beforeEach(async () => {
      scratch = await createScratchDatabase();
      database = testDatabase({ DATABASE_URL: scratch.url });
      // keel's foundation only (uuidv7() on every server): this checkout's own resources stay out.
      migrations = [FOUNDATION, ...EXAMPLE_SERVICE.migrations.filter((file) => /-create-(customers|orders)\.js$/.test(file))].map((file) =>
        loadMigration(file),
      );
      for (const migration of migrations) await migration.up(database.sequelize.getQueryInterface(), Sequelize);
    });

    afterEach(async () => {
      await database.close();
      await scratch.drop();
    });

    it('registers both models by name on that Sequelize instance and runs their associations once all exist', () => {
      const registry = initModels(database.sequelize, [Customer, Order]);

      expect(Object.keys(registry).sort()).to.deep.equal(['Customer', 'Order']);
      expect(registry.Customer).to.equal(Customer);
      expect(registry.Order).to.equal(Order);
      expect(Object.isFrozen(registry), 'the registry is frozen').to.equal(true);
      expect(database.sequelize.models.Order).to.equal(Order);
      expect(Order.associations.customer?.associationType).to.equal('BelongsTo');
    });

    it('creates rows whose ids the database fills with version 7 UUIDs, and timestamps in created_at/updated_at', async () => {
      initModels(database.sequelize, [Customer, Order]);

      const customer = await Customer.createRow({ name: 'Ada' });

      expect(customer.id).to.match(UUID_V7);
      expect(customer.createdAt).to.be.instanceOf(Date);
      const rows = await queryOnce<{ id: string; name: string; created_at: Date; updated_at: Date }>(
        scratch.url,
        'SELECT id::text, name, created_at, updated_at FROM customers',
      );
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ id: customer.id, name: 'Ada' });
      expect(rows[0]?.created_at).to.be.instanceOf(Date);
      expect(rows[0]?.updated_at).to.be.instanceOf(Date);
    });

    it('loads the parent a reference names with include', async () => {
      initModels(database.sequelize, [Customer, Order]);
      const customer = await Customer.createRow({ name: 'Ada' });
      const order = await Order.createRow({ customerId: customer.id, total: '12.50' });

      const found = await Order.findOne({ where: { id: order.id }, include: [{ model: Customer, as: 'customer' }] });
      // An included parent is not an attribute: the plain row carries it under the association's name.
      const plain = found?.get({ plain: true }) as (OrderRow & { customer?: CustomerRow }) | undefined;

      expect(plain?.customer?.id).to.equal(customer.id);
      expect(plain?.customer?.name).to.equal('Ada');
      expect(plain?.id).to.match(UUID_V7);
    });

    it('down() of the generated migrations drops the tables again', async () => {
      const queryInterface = database.sequelize.getQueryInterface();

      for (const migration of migrations.slice(1).reverse()) await migration.down(queryInterface, Sequelize);

      const [row] = await queryOnce<{ customers: string | null; orders: string | null }>(
        scratch.url,
        "SELECT to_regclass('public.customers')::text AS customers, to_regclass('public.orders')::text AS orders",
      );
      expect(row).to.deep.equal({ customers: null, orders: null });
    });
  });
});

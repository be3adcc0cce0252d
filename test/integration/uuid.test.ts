import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import { Sequelize } from 'sequelize';
import { projectRoot } from '../../config/project';
import type { Database } from '../../lib/keel/db';
import { uuidv7 } from '../../lib/keel/db/uuid';
import { testDatabase } from '../support/app';
import { createScratchDatabase, queryOnce, serverVersionNum, testDatabaseUrl, type ScratchDatabase } from '../support/database';
import { loadMigration, migrationsDirectory, runCliOk } from '../support/migrations';
import { render, TENANT_SETTING } from '../../lib/keel/generator/templates';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const POSTGRES_17 = 170_000;
const POSTGRES_18 = 180_000;

/** The 48-bit Unix millisecond timestamp at the front of a version 7 UUID. */
const embeddedMillis = (uuid: string): number => parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);

function expectVersion7(value: string, label: string): void {
  const hex = value.replace(/-/g, '');
  expect(value, label).to.match(UUID_V7);
  expect(hex[12], `${label}: version nibble`).to.equal('7');
  expect(parseInt(hex[16] ?? '', 16) >> 2, `${label}: variant bits`).to.equal(0b10);
}

/** Runs queries on one connection of its own, so server-side state (the clock, the backend) is one session's. */
async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Waits on the server until its clock has passed the given millisecond. */
async function nextServerMillisecond(client: Client, after: number): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    const { rows } = await client.query<{ ms: string }>('SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS ms');
    if (Number(rows[0]?.ms) > after) return;
    await client.query('SELECT pg_sleep(0.001)');
  }
  throw new Error('the server clock did not move on');
}

/**
 * The foundation migration's fallback for PostgreSQL 13–17, created under another name, so that it
 * runs (and is checked) on every server, PostgreSQL 18 included, where uuidv7() is built in.
 */
const FALLBACK_NAME = 'keel_fallback_uuidv7';

function createFallbackUnderAnotherName(): string {
  const migration = fs.readFileSync(path.join(projectRoot(), 'db', 'migrations', '20260101000000-foundation.js'), 'utf8');
  const definition = /CREATE OR REPLACE FUNCTION public\.uuidv7\(\)[\s\S]*?\$fn\$;/.exec(migration)?.[0];
  if (!definition) throw new Error('the foundation migration no longer defines public.uuidv7() as this test expects');
  return definition.replace('public.uuidv7()', `public.${FALLBACK_NAME}()`);
}

const implementations = [
  { label: 'uuidv7() after the foundation migration (built in from 18, the fallback below)', fn: 'uuidv7()', fallback: false },
  { label: "keel's fallback uuidv7() for PostgreSQL 13-17, on this server", fn: `${FALLBACK_NAME}()`, fallback: true },
];

for (const implementation of implementations) {
  describe(implementation.label, function () {
    this.timeout(60_000);

    let scratch: ScratchDatabase;
    let version: number;

    before(async () => {
      scratch = await createScratchDatabase();
      version = await serverVersionNum(scratch.url);
      await runCliOk('db:migrate', scratch.url);
      if (implementation.fallback) await queryOnce(scratch.url, createFallbackUnderAnotherName());
    });

    after(async () => {
      await scratch?.drop();
    });

    it('returns version 7 with the RFC 9562 variant, its timestamp the server clock at the call', async () => {
      const rows = await withClient(scratch.url, async (client) => {
        const taken: { before: string; id: string; after: string }[] = [];
        for (let i = 0; i < 20; i += 1) {
          const { rows: [row] = [] } = await client.query<{ before: string; id: string; after: string }>(
            `SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS before,
                    ${implementation.fn}::text AS id,
                    floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS after`,
          );
          if (row) taken.push(row);
        }
        return taken;
      });

      expect(rows).to.have.length(20);
      for (const [index, row] of rows.entries()) {
        expectVersion7(row.id, `value ${index} (server_version_num ${version})`);
        expect(embeddedMillis(row.id), `value ${index}: embedded milliseconds`).to.be.within(Number(row.before), Number(row.after));
      }
    });

    it('sorts values made in successive milliseconds in creation order, both as text and as uuid', async () => {
      const created = await withClient(scratch.url, async (client) => {
        const values: string[] = [];
        let lastMillis = 0;
        for (let i = 0; i < 8; i += 1) {
          await nextServerMillisecond(client, lastMillis);
          const { rows } = await client.query<{ id: string }>(`SELECT ${implementation.fn}::text AS id`);
          const id = rows[0]?.id ?? '';
          values.push(id);
          lastMillis = embeddedMillis(id);
        }
        return values;
      });

      const byUuid = await queryOnce<{ id: string }>(scratch.url, 'SELECT id::text FROM unnest($1::uuid[]) AS id ORDER BY id', [
        [...created].reverse(),
      ]);

      expect(new Set(created.map(embeddedMillis)).size, 'distinct milliseconds').to.equal(created.length);
      expect([...created].sort(), 'text order').to.deep.equal(created);
      expect(
        byUuid.map((row) => row.id),
        'uuid order (ORDER BY a uuid column)',
      ).to.deep.equal(created);
    });
  });
}

describe('a table created from the migration template', function () {
  this.timeout(60_000);

  let scratch: ScratchDatabase;
  let database: Database;
  let directory: string;

  beforeEach(async () => {
    scratch = await createScratchDatabase();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-template-'));
    database = testDatabase({ DATABASE_URL: scratch.url });
  });

  afterEach(async () => {
    await database.close();
    await scratch.drop();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  /** keel's foundation migration alone (uuidv7() on every server): this checkout's resources' migrations stay out. */
  const foundation = (): Promise<void> =>
    loadMigration(path.join(migrationsDirectory(), '20260101000000-foundation.js')).up(database.sequelize.getQueryInterface(), Sequelize);

  /** The table template as db:migration:new fills it in for create-<table>, loaded as a migration. */
  function templateMigration(table: string): ReturnType<typeof loadMigration> {
    const name = `create-${table.replace(/_/g, '-')}`;
    const file = path.join(directory, `20990101000000-${name}.js`);
    fs.writeFileSync(
      file,
      render('create-table.js', {
        name,
        table,
        purpose: 'a test table.',
        tenant: false,
        tenantSetting: TENANT_SETTING,
        fields: [],
        references: [],
      }),
    );
    return loadMigration(file);
  }

  /** Which uuidv7() the id column's default calls: keel's fallback in public, or PostgreSQL's own. */
  async function defaultCallsPublicUuidv7(table: string): Promise<boolean> {
    const [row] = await queryOnce<{ n: string }>(
      scratch.url,
      `SELECT count(*)::text AS n
         FROM pg_attrdef a
         JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = a.oid
        WHERE a.adrelid = $1::regclass
          AND d.refclassid = 'pg_proc'::regclass
          AND d.refobjid = to_regprocedure('public.uuidv7()')`,
      [table],
    );
    return Number(row?.n) > 0;
  }

  it('fills the id with time-ordered version 7 UUIDs by default, from keel fallback below PostgreSQL 18 and the built-in from 18', async () => {
    const version = await serverVersionNum(scratch.url);
    await foundation();
    await templateMigration('keel_test_gadgets').up(database.sequelize.getQueryInterface(), Sequelize);

    const inserted = await withClient(scratch.url, async (client) => {
      const ids: string[] = [];
      let lastMillis = 0;
      for (let i = 0; i < 6; i += 1) {
        await nextServerMillisecond(client, lastMillis);
        const { rows } = await client.query<{ id: string }>('INSERT INTO keel_test_gadgets DEFAULT VALUES RETURNING id::text');
        const id = rows[0]?.id ?? '';
        ids.push(id);
        lastMillis = embeddedMillis(id);
      }
      return ids;
    });
    const ordered = await queryOnce<{ id: string }>(scratch.url, 'SELECT id::text FROM keel_test_gadgets ORDER BY id');

    for (const [index, id] of inserted.entries()) expectVersion7(id, `row ${index}`);
    expect(
      ordered.map((row) => row.id),
      'ORDER BY id is insertion order',
    ).to.deep.equal(inserted);
    expect([...inserted].sort(), 'text order is insertion order').to.deep.equal(inserted);
    expect(await defaultCallsPublicUuidv7('keel_test_gadgets'), `default calls public.uuidv7() on server_version_num ${version}`).to.equal(
      version < POSTGRES_18,
    );
  });

  it('declares id, created_at and updated_at as the models read them: a uuid key, timestamps defaulting to now()', async () => {
    await foundation();
    await templateMigration('keel_test_widgets').up(database.sequelize.getQueryInterface(), Sequelize);

    const columns = await queryOnce<{ column_name: string; data_type: string; is_nullable: string; column_default: string }>(
      scratch.url,
      `SELECT column_name, data_type, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = 'keel_test_widgets' ORDER BY ordinal_position`,
    );
    const primaryKey = await queryOnce<{ column: string }>(
      scratch.url,
      `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = 'keel_test_widgets'::regclass AND i.indisprimary`,
    );

    expect(columns.map(({ column_name, data_type, is_nullable }) => [column_name, data_type, is_nullable])).to.deep.equal([
      ['id', 'uuid', 'NO'],
      ['created_at', 'timestamp with time zone', 'NO'],
      ['updated_at', 'timestamp with time zone', 'NO'],
    ]);
    expect(columns[0]?.column_default, 'the default uuidPrimaryKey() declares').to.match(/^(public\.)?uuidv7\(\)$/);
    expect(columns.slice(1).map((column) => column.column_default)).to.deep.equal(['now()', 'now()']);
    expect(primaryKey.map((row) => row.column)).to.deep.equal(['id']);
  });

  it('creates and drops a table named by a reserved word (create-user: the table user)', async () => {
    await foundation();
    const migration = templateMigration('user');

    await migration.up(database.sequelize.getQueryInterface(), Sequelize);
    const [created] = await queryOnce<{ t: string | null }>(scratch.url, `SELECT to_regclass('public."user"')::text AS t`);
    await migration.down(database.sequelize.getQueryInterface(), Sequelize);
    const [dropped] = await queryOnce<{ t: string | null }>(scratch.url, `SELECT to_regclass('public."user"')::text AS t`);

    expect(created?.t).to.equal('"user"');
    expect(dropped?.t).to.equal(null);
  });

  it('down() drops the table', async () => {
    await foundation();
    const migration = templateMigration('keel_test_gizmos');
    await migration.up(database.sequelize.getQueryInterface(), Sequelize);

    await migration.down(database.sequelize.getQueryInterface(), Sequelize);

    const [row] = await queryOnce<{ t: string | null }>(scratch.url, "SELECT to_regclass('public.keel_test_gizmos')::text AS t");
    expect(row?.t).to.equal(null);
  });
});

describe('app-side uuidv7() values in PostgreSQL', () => {
  it('are accepted as uuid unchanged, and ORDER BY uuid keeps their creation order', async () => {
    const start = Date.now();
    const created = Array.from({ length: 50 }, (_, i) => uuidv7(start + i));
    const shuffled = [...created.filter((_, i) => i % 2 === 1).reverse(), ...created.filter((_, i) => i % 2 === 0)];

    const rows = await queryOnce<{ id: string }>(testDatabaseUrl(), 'SELECT id::text FROM unnest($1::uuid[]) AS id ORDER BY id', [
      shuffled,
    ]);

    expect(rows.map((row) => row.id)).to.deep.equal(created);
  });

  it('are read by PostgreSQL 17+ as version 7 with the embedded timestamp (below 17, decoded here instead)', async () => {
    const version = await serverVersionNum(testDatabaseUrl());
    const millis = 1_767_225_600_123;
    const value = uuidv7(millis);

    if (version >= POSTGRES_17) {
      const [row] = await queryOnce<{ version: number; ms: string }>(
        testDatabaseUrl(),
        'SELECT uuid_extract_version($1::uuid) AS version, (extract(epoch FROM uuid_extract_timestamp($1::uuid)) * 1000)::bigint::text AS ms',
        [value],
      );
      expect(row).to.deep.equal({ version: 7, ms: String(millis) });
    } else {
      const [row] = await queryOnce<{ hex: string }>(testDatabaseUrl(), "SELECT encode(uuid_send($1::uuid), 'hex') AS hex", [value]);
      expect(parseInt(row?.hex.slice(0, 12) ?? '', 16), 'the first 48 bits as stored').to.equal(millis);
      expect(row?.hex[12], 'the version nibble as stored').to.equal('7');
    }
  });
});

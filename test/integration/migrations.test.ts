import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Client } from 'pg';
import { projectRoot } from '../../config/project';
import { runSequelizeCli, type CliResult, type MigrationCommand } from '../../lib/keel/db/sequelize-cli';
import { createScratchDatabase, freePort, queryOnce, serverVersionNum, type ScratchDatabase } from '../support/database';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const POSTGRES_18 = 180_000;

/** The migration files in the repository, as sequelize-cli names them in SequelizeMeta. */
function migrationFiles(): string[] {
  return fs
    .readdirSync(path.join(projectRoot(), 'db', 'migrations'))
    .filter((name) => name.endsWith('.js'))
    .sort();
}

function cliEnv(databaseUrl: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATABASE_URL: databaseUrl };
}

/** Runs a command and fails with its output when it does not exit 0. */
async function runOk(command: MigrationCommand, databaseUrl: string, args: readonly string[] = []): Promise<CliResult> {
  const result = await runSequelizeCli(command, cliEnv(databaseUrl), { args });
  expect(result.code, `${command} exit code; output:\n${result.output}`).to.equal(0);
  return result;
}

async function appliedMigrations(url: string): Promise<string[]> {
  const rows = await queryOnce<{ name: string }>(url, 'SELECT name FROM "SequelizeMeta" ORDER BY name');
  return rows.map((row) => row.name);
}

async function publicUuidv7Exists(url: string): Promise<boolean> {
  const [row] = await queryOnce<{ fn: string | null }>(url, "SELECT to_regprocedure('public.uuidv7()')::text AS fn");
  return row?.fn !== null && row?.fn !== undefined;
}

const SEEDER = '20260101000000-one-row.js';
/** A seeder as an application would write one (CommonJS, like keel's migrations): one row into `keel_test_seeded`. */
const ONE_ROW_SEEDER = `'use strict';
module.exports = {
  up: (queryInterface) => queryInterface.bulkInsert('keel_test_seeded', [{ note: 'from the seeder' }]),
  down: (queryInterface) => queryInterface.bulkDelete('keel_test_seeded', {}),
};
`;

async function seededNotes(url: string): Promise<string[]> {
  return (await queryOnce<{ note: string }>(url, 'SELECT note FROM keel_test_seeded')).map((row) => row.note);
}

/** The 48-bit Unix millisecond timestamp at the front of a version 7 UUID. */
function uuidv7Millis(uuid: string): number {
  return parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);
}

describe('migrations through sequelize-cli', function () {
  this.timeout(60_000);

  let scratch: ScratchDatabase;

  beforeEach(async () => {
    scratch = await createScratchDatabase();
  });

  afterEach(async () => {
    await scratch.drop();
  });

  it('db:migrate on an empty database exits 0 and records the foundation migration in SequelizeMeta', async () => {
    await runOk('db:migrate', scratch.url);

    const applied = await appliedMigrations(scratch.url);
    expect(applied).to.deep.equal(migrationFiles());
    expect(
      applied.some((name) => name.endsWith('-foundation.js')),
      'the foundation migration',
    ).to.equal(true);
  });

  it('db:migrate provides uuidv7() returning version 7 UUIDs, time-ordered across milliseconds', async () => {
    await runOk('db:migrate', scratch.url);

    const client = new Client({ connectionString: scratch.url });
    await client.connect();
    const values: string[] = [];
    const before = Date.now();
    try {
      for (let i = 0; i < 5; i += 1) {
        const { rows } = await client.query<{ id: string }>('SELECT uuidv7()::text AS id');
        values.push(rows[0]?.id ?? '');
        // Let the server's clock move to the next millisecond before the next value.
        await client.query('SELECT pg_sleep(0.003)');
      }
    } finally {
      await client.end();
    }
    const after = Date.now();

    for (const value of values) {
      expect(value).to.match(UUID_V7);
      expect(uuidv7Millis(value), 'the embedded timestamp').to.be.within(before - 5_000, after + 5_000);
    }
    expect(new Set(values).size, 'distinct values').to.equal(values.length);
    expect([...values].sort(), 'values sort in the order they were made').to.deep.equal(values);
    for (let i = 1; i < values.length; i += 1) {
      expect(uuidv7Millis(values[i] ?? ''), `timestamp ${i} after ${i - 1}`).to.be.above(uuidv7Millis(values[i - 1] ?? ''));
    }
  });

  it('db:migrate adds public.uuidv7() below PostgreSQL 18 and leaves the built-in alone from 18', async () => {
    const version = await serverVersionNum(scratch.url);

    await runOk('db:migrate', scratch.url);

    expect(await publicUuidv7Exists(scratch.url), `public.uuidv7() on server_version_num ${version}`).to.equal(version < POSTGRES_18);
  });

  it('db:migrate run a second time exits 0 and applies nothing', async () => {
    await runOk('db:migrate', scratch.url);
    const first = await appliedMigrations(scratch.url);

    await runOk('db:migrate', scratch.url);

    expect(await appliedMigrations(scratch.url)).to.deep.equal(first);
    expect(first).to.have.length(migrationFiles().length);
  });

  it("db:seed:all with keel's own seeders directory, which holds no seeder, exits 0", async () => {
    await runOk('db:migrate', scratch.url);

    await runOk('db:seed:all', scratch.url);
  });

  it('db:seed:all runs a seeder once, records it in SequelizeData, and inserts nothing more when run a second time', async () => {
    await runOk('db:migrate', scratch.url);
    await queryOnce(scratch.url, 'CREATE TABLE keel_test_seeded (note text NOT NULL)');
    const seedersPath = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-test-seeders-'));
    try {
      fs.writeFileSync(path.join(seedersPath, SEEDER), ONE_ROW_SEEDER);
      const seed = ['--seeders-path', seedersPath];

      const first = await runOk('db:seed:all', scratch.url, seed);
      expect(await seededNotes(scratch.url), 'rows after the first run').to.deep.equal(['from the seeder']);
      expect(first.output, 'the CLI prints no SQL, so no seeded value').to.not.include('from the seeder');

      await runOk('db:seed:all', scratch.url, seed);
      expect(await seededNotes(scratch.url), 'rows after the second run').to.deep.equal(['from the seeder']);
      const recorded = await queryOnce<{ name: string }>(scratch.url, 'SELECT name FROM "SequelizeData"');
      expect(recorded.map((row) => row.name)).to.deep.equal([SEEDER]);
    } finally {
      fs.rmSync(seedersPath, { recursive: true, force: true });
    }
  });

  it('db:migrate:undo:all empties SequelizeMeta and drops the fallback uuidv7() (the built-in stays from 18)', async () => {
    await runOk('db:migrate', scratch.url);

    await runOk('db:migrate:undo:all', scratch.url);

    expect(await appliedMigrations(scratch.url)).to.deep.equal([]);
    if ((await serverVersionNum(scratch.url)) < POSTGRES_18) {
      expect(await publicUuidv7Exists(scratch.url), 'public.uuidv7() after undo').to.equal(false);
    } else {
      const [row] = await queryOnce<{ id: string }>(scratch.url, 'SELECT uuidv7()::text AS id');
      expect(row?.id).to.match(UUID_V7);
    }
  });

  it('db:migrate:undo:all run a second time exits 0, and db:migrate then applies everything again', async () => {
    await runOk('db:migrate', scratch.url);
    await runOk('db:migrate:undo:all', scratch.url);

    await runOk('db:migrate:undo:all', scratch.url);
    await runOk('db:migrate', scratch.url);

    expect(await appliedMigrations(scratch.url)).to.deep.equal(migrationFiles());
    const [row] = await queryOnce<{ id: string }>(scratch.url, 'SELECT uuidv7()::text AS id');
    expect(row?.id).to.match(UUID_V7);
  });
});

describe('sequelize-cli with a bad DATABASE_URL', function () {
  this.timeout(60_000);

  const sentinel = 'Kx7qSentinelPassword';
  const malformed: Record<string, string> = {
    'that is not a URL': `postgres://keel:${sentinel}@[not-a-host/keel`,
    'without a database': `postgres://keel:${sentinel}@127.0.0.1:5432`,
    'with another scheme': `mysql://keel:${sentinel}@127.0.0.1:3306/keel`,
  };

  for (const [why, url] of Object.entries(malformed)) {
    it(`exits non-zero naming DATABASE_URL and never printing the password when the URL is one ${why}`, async () => {
      const result = await runSequelizeCli('db:migrate', cliEnv(url));

      expect(result.code, `exit code; output:\n${result.output}`).to.be.a('number').and.not.to.equal(0);
      expect(result.output).to.include('DATABASE_URL');
      expect(result.output).not.to.include(sentinel);
    });
  }

  it('exits non-zero and never prints the password when the server named by a well-formed URL is unreachable', async () => {
    const url = `postgres://keel:${sentinel}@127.0.0.1:${await freePort()}/keel`;

    const result = await runSequelizeCli('db:migrate', cliEnv(url));

    expect(result.code, `exit code; output:\n${result.output}`).to.be.a('number').and.not.to.equal(0);
    expect(result.output).not.to.include(sentinel);
  });
});

import { spawn } from 'node:child_process';
import { expect } from 'chai';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EMBEDDED_DATABASE_NAME, EMBEDDED_DATABASE_ROLE, readEmbeddedPassword } from '../../config/embedded-database';
import { createLogger } from '../../config/logger';
import { projectRoot } from '../../config/project';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../lib/keel/db/embedded';
import { freePort, queryOnce } from '../support/database';
import { migrationFilesOnDisk } from '../support/migrations';
import { stageProjectCopy } from '../support/process';
import { registerSentinel, watchOutput } from '../support/sentinels';

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npx sequelize-cli <args>` as a user types it: from the project root, with exactly env (no DATABASE_URL). */
function sequelizeCli(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  return sequelizeCliIn(projectRoot(), env, ...args);
}

function sequelizeCliIn(root: string, env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [path.join(root, 'node_modules', '.bin', 'sequelize-cli'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  let closed = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  watchOutput(
    `sequelize-cli ${args.join(' ')}`,
    () => stdout + stderr,
    () => closed,
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      closed = true;
      resolve({ code, stdout, stderr });
    });
  });
}

function succeeded(run: CliRun): void {
  expect(run.code, `exit code; output:\n${run.stdout}${run.stderr}`).to.equal(0);
}

/** Exits non-zero with one line on stderr (no stack trace, no help text) that says how to start the database. */
function saysHowToStart(run: CliRun, script: string): void {
  expect(run.code, run.stdout + run.stderr).to.equal(1);
  expect(run.stderr.split('\n').filter(Boolean), run.stderr).to.have.lengthOf(1);
  expect(run.stderr).to.include('`npm start`').and.include(`\`${script}\``);
  expect(run.stderr + run.stdout).not.to.match(/^\s+at /m);
  expect(run.stdout).not.to.include('Options:');
}

describe('npx sequelize-cli in development, with DATABASE_URL unset', function () {
  this.timeout(60_000);
  let parent: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    // A mode-700 directory: as root, PostgreSQL's data moves under /var/tmp (lib/keel/db/embedded-placement.ts)
    // while the password file stays beside the directory asked for, where the CLI looks.
    parent = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-cli-'));
    env = {
      NODE_ENV: 'development',
      EMBEDDED_DATABASE_DIR: path.join(parent, 'postgres'),
      EMBEDDED_DATABASE_PORT: String(await freePort()),
    };
  });
  afterEach(() => fs.rm(parent, { recursive: true, force: true }));

  describe('while the embedded PostgreSQL that npm start runs is up', () => {
    let embedded: EmbeddedDatabase;
    beforeEach(async () => {
      embedded = await startEmbeddedDatabase({
        dataDir: env.EMBEDDED_DATABASE_DIR as string,
        port: Number(env.EMBEDDED_DATABASE_PORT),
        databaseName: EMBEDDED_DATABASE_NAME,
        persistent: false,
        logger: createLogger({ env: 'test', logLevel: 'silent' }),
      });
      registerSentinel(readEmbeddedPassword(env.EMBEDDED_DATABASE_DIR as string) as string, 'the embedded PostgreSQL password');
      registerSentinel(
        readEmbeddedPassword(env.EMBEDDED_DATABASE_DIR as string, EMBEDDED_DATABASE_ROLE) as string,
        'the embedded service role password',
      );
    });
    afterEach(() => embedded.stop());

    const applied = async (): Promise<string[]> =>
      (await queryOnce<{ name: string }>(embedded.url, 'SELECT name FROM "SequelizeMeta" ORDER BY name')).map((row) => row.name);

    it('db:migrate applies every migration to that database, and db:migrate:undo reverts the latest', async () => {
      succeeded(await sequelizeCli(env, 'db:migrate'));
      expect(await applied()).to.deep.equal(migrationFilesOnDisk());

      succeeded(await sequelizeCli(env, 'db:migrate:undo'));
      expect(await applied()).to.deep.equal(migrationFilesOnDisk().slice(0, -1));
    });

    it('finds it through the .env file the server reads, as the server does', async () => {
      const copy = path.join(parent, 'project');
      stageProjectCopy(copy);
      const { EMBEDDED_DATABASE_DIR, EMBEDDED_DATABASE_PORT } = env;
      await fs.writeFile(
        path.join(copy, '.env'),
        `EMBEDDED_DATABASE_DIR=${EMBEDDED_DATABASE_DIR}\nEMBEDDED_DATABASE_PORT=${EMBEDDED_DATABASE_PORT}\n`,
      );

      succeeded(await sequelizeCliIn(copy, { NODE_ENV: 'development' }, 'db:migrate'));

      expect(await applied()).to.deep.equal(migrationFilesOnDisk());
    });

    it('db:seed:all runs against it', async () => {
      succeeded(await sequelizeCli(env, 'db:migrate'));
      const seeders = path.join(parent, 'seeders');
      await fs.mkdir(seeders);
      const seeder = 'module.exports = { up: (q) => q.bulkInsert("keel_test_seeded", [{ v: 1 }]), down: () => undefined };\n';
      await fs.writeFile(path.join(seeders, '20260101000000-one.js'), seeder);
      await queryOnce(embedded.url, 'CREATE TABLE keel_test_seeded (v integer)');

      succeeded(await sequelizeCli(env, 'db:seed:all', '--seeders-path', seeders));

      expect(await queryOnce(embedded.url, 'SELECT v FROM keel_test_seeded')).to.deep.equal([{ v: 1 }]);
    });
  });

  describe('while nothing runs on its port', () => {
    it('db:migrate says in one line to run npm start or npm run db:migrate, and exits 1', async () => {
      // A server ran there before: the password file is there, the server is not.
      const embedded = await startEmbeddedDatabase({
        dataDir: env.EMBEDDED_DATABASE_DIR as string,
        port: Number(env.EMBEDDED_DATABASE_PORT),
        databaseName: EMBEDDED_DATABASE_NAME,
        persistent: false,
        logger: createLogger({ env: 'test', logLevel: 'silent' }),
      });
      await embedded.stop();

      saysHowToStart(await sequelizeCli(env, 'db:migrate'), 'npm run db:migrate');
    });

    it('db:seed:all on a project that never started it says the same, naming npm run db:seed', async () => {
      saysHowToStart(await sequelizeCli(env, 'db:seed:all'), 'npm run db:seed');
    });

    it('migration:generate still writes a migration, since it needs no database', async () => {
      const migrations = path.join(parent, 'migrations');

      succeeded(await sequelizeCli(env, 'migration:generate', '--name', 'add-widgets', '--migrations-path', migrations));

      expect(await fs.readdir(migrations)).to.have.lengthOf(1);
    });
  });

  describe('in production', () => {
    it('still requires DATABASE_URL, naming it in a message without a stack trace', async () => {
      const run = await sequelizeCli({ ...env, NODE_ENV: 'production' }, 'db:migrate');

      expect(run.code).to.equal(1);
      expect(run.stderr).to.include('DATABASE_URL: PostgreSQL connection URL').and.not.include('npm start');
      expect(run.stderr).not.to.match(/^\s+at /m);
    });
  });
});

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Client } from 'pg';
import { projectRoot } from '../../config/project';
import { MIGRATION_LOCK_KEY } from '../../lib/keel/db/migration-lock';
import { runSequelizeCli } from '../../lib/keel/db/sequelize-cli';
import { createScratchDatabase, queryOnce, testDatabaseUrl, type ScratchDatabase } from '../support/database';
import { generatorSandbox, KEEL_MIGRATION_FILES, migrationFilesOnDisk } from '../support/migrations';
import { procfileReleaseCommand, runRelease, startRelease, temporaryMigrations, type MigrationsDirectory } from '../support/release';

const TEST_ENV = { NODE_ENV: 'test' };

async function appliedMigrations(url: string): Promise<string[]> {
  const [exists] = await queryOnce<{ table: string | null }>(url, `SELECT to_regclass('"SequelizeMeta"')::text AS table`);
  if (!exists?.table) return [];
  const rows = await queryOnce<{ name: string }>(url, 'SELECT name FROM "SequelizeMeta" ORDER BY name');
  return rows.map((row) => row.name);
}

async function tableExists(url: string, table: string): Promise<boolean> {
  const [row] = await queryOnce<{ table: string | null }>(url, 'SELECT to_regclass($1)::text AS table', [table]);
  return !!row?.table;
}

/** A connection of the test's own that holds a lock in an open transaction until release(). */
async function holdLock(url: string, sql: string): Promise<{ client: Client; release(): Promise<void> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(sql);
  return {
    client,
    release: async () => {
      await client.query('COMMIT').catch(() => undefined);
      await client.end();
    },
  };
}

/** Polls pg_stat_activity until count backends on database wait for a lock; returns what they wait for. */
async function waitForLockWaiters(database: string, count: number, timeoutMs = 30_000): Promise<string[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const rows = await queryOnce<{ wait_event: string }>(
      testDatabaseUrl(),
      "SELECT wait_event FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' ORDER BY wait_event",
      [database],
    );
    if (rows.length === count) return rows.map((row) => row.wait_event);
    if (performance.now() > deadline) throw new Error(`${rows.length} backends waiting for a lock after ${timeoutMs} ms, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls until a backend of database runs sql; fails after timeoutMs. */
async function waitForStatement(database: string, sql: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const rows = await queryOnce(
      testDatabaseUrl(),
      "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query = $2 AND state = 'active'",
      [database, sql],
    );
    if (rows.length > 0) return;
    if (performance.now() > deadline) throw new Error(`no backend of ${database} ran ${sql} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The PIDs of a process's children (pgrep -P), none when it has none. */
async function childrenOf(pid: number): Promise<number[]> {
  const { stdout } = await promisify(execFile)('pgrep', ['-P', String(pid)]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A migrations directory holding one migration, named name, whose up() runs sql and whose down() does nothing. */
function oneStatementMigration(name: string, sql: string): MigrationsDirectory {
  const directory = temporaryMigrations({ withKeelMigrations: false });
  directory.add(
    `20990101000000-${name}.js`,
    `module.exports = {
    up: (queryInterface) => queryInterface.sequelize.query(${JSON.stringify(sql)}),
    down: () => Promise.resolve(),
  };`,
  );
  return directory;
}

/** A migration that sleeps for ten minutes. */
const slowMigration = (): MigrationsDirectory => oneStatementMigration('slow', 'SELECT pg_sleep(600)');

describe('the release phase (the Procfile release command)', function () {
  this.timeout(60_000);

  let scratch: ScratchDatabase;
  let migrations: MigrationsDirectory | undefined;

  beforeEach(async () => {
    scratch = await createScratchDatabase();
  });

  afterEach(async () => {
    migrations?.remove();
    migrations = undefined;
    await scratch.drop();
  });

  describe('which sequelize-cli it runs', () => {
    let fakeBin: string;
    const marker = (): string => path.join(fakeBin, 'called');

    beforeEach(() => {
      fakeBin = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-fake-npx-'));
      for (const tool of ['npx', 'npm']) {
        fs.writeFileSync(path.join(fakeBin, tool), `#!/bin/sh\necho "${tool} $*" >> "${marker()}"\nexit 1\n`, { mode: 0o755 });
      }
    });

    afterEach(() => fs.rmSync(fakeBin, { recursive: true, force: true }));

    it('runs the sequelize-cli installed in node_modules, never npx or npm (which could fetch another one)', async () => {
      const result = await runRelease({
        ...TEST_ENV,
        DATABASE_URL: scratch.url,
        PATH: `${fakeBin}:${path.dirname(process.execPath)}`,
      });

      expect(fs.existsSync(marker()), `npx/npm were called: ${fs.existsSync(marker()) ? fs.readFileSync(marker(), 'utf8') : ''}`).to.equal(
        false,
      );
      expect(result.code, result.output).to.equal(0);
      expect(result.output).to.include(`with ${path.join('node_modules', 'sequelize-cli')}${path.sep}`);
      expect(await appliedMigrations(scratch.url)).to.deep.equal(migrationFilesOnDisk());
    });

    it('names a command of the project itself in the Procfile, not npx', () => {
      expect(procfileReleaseCommand()).not.to.match(/\bnpx\b/);
      expect(fs.existsSync(path.join(projectRoot(), procfileReleaseCommand().split(' ')[1] ?? '')), 'the script it runs').to.equal(true);
    });
  });

  describe('its time bounds', () => {
    it('gives up with a message naming MIGRATE_LOCK_TIMEOUT_MS when a migration waits for a lock another session holds', async () => {
      await queryOnce(scratch.url, 'CREATE TABLE keel_test_busy (id int)');
      migrations = oneStatementMigration('alter-busy', 'ALTER TABLE keel_test_busy ADD COLUMN extra int');
      // A long read in an open transaction: the ALTER needs an exclusive lock and queues behind it.
      const reader = await holdLock(scratch.url, 'SELECT * FROM keel_test_busy');
      try {
        const result = await runRelease({ ...TEST_ENV, DATABASE_URL: scratch.url, MIGRATE_LOCK_TIMEOUT_MS: '300' }, migrations.args);

        expect(result.code, result.output).to.equal(1);
        expect(result.output).to.include('canceling statement due to lock timeout');
        expect(result.output).to.include('MIGRATE_LOCK_TIMEOUT_MS (300 ms)');
        // It gave up while the reader still held its lock: it did not wait for it.
        expect((await reader.client.query('SELECT 1 AS alive')).rows).to.deep.equal([{ alive: 1 }]);
      } finally {
        await reader.release();
      }
      expect(await appliedMigrations(scratch.url)).to.deep.equal([]);
    });

    it('cancels a migration statement that runs longer than MIGRATE_STATEMENT_TIMEOUT_MS, saying so', async () => {
      migrations = slowMigration();

      const result = await runRelease({ ...TEST_ENV, DATABASE_URL: scratch.url, MIGRATE_STATEMENT_TIMEOUT_MS: '200' }, migrations.args);

      expect(result.code, result.output).to.equal(1);
      expect(result.output).to.include('canceling statement due to statement timeout');
      expect(result.output).to.include('MIGRATE_STATEMENT_TIMEOUT_MS (200 ms)');
      expect(await appliedMigrations(scratch.url)).to.deep.equal([]);
    });
  });

  describe('when it is interrupted during a migration (SIGTERM from the platform, Ctrl-C in a terminal)', () => {
    const MIGRATION = '20990101000000-slow-alter';
    const SLEEP = 'SELECT pg_sleep(600)';

    /** A migration that takes an ACCESS EXCLUSIVE lock on keel_test_widgets in its transaction, then runs for ten minutes. */
    function slowAlterMigration(): MigrationsDirectory {
      const directory = temporaryMigrations({ withKeelMigrations: false });
      directory.add(
        `${MIGRATION}.js`,
        `module.exports = {
        up: (queryInterface) =>
          queryInterface.sequelize.transaction(async (transaction) => {
            await queryInterface.sequelize.query('ALTER TABLE keel_test_widgets ADD COLUMN colour text', { transaction });
            await queryInterface.sequelize.query(${JSON.stringify(SLEEP)}, { transaction });
          }),
        down: () => Promise.resolve(),
      };`,
      );
      return directory;
    }

    /** The Procfile's release command, run directly in a process group of its own (as a terminal's job is). */
    function startProcfileRelease(directory: MigrationsDirectory): { child: ReturnType<typeof spawn>; output(): string } {
      const [node, script, ...commandArgs] = procfileReleaseCommand().split(' ');
      expect(node).to.equal('node');
      const child = spawn(process.execPath, [script ?? '', ...commandArgs, ...directory.args], {
        cwd: projectRoot(),
        env: { PATH: process.env.PATH ?? '', ...TEST_ENV, DATABASE_URL: scratch.url, MIGRATE_STATEMENT_TIMEOUT_MS: '600000' },
        detached: true,
      });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      return { child, output: () => output };
    }

    const cases = [
      { signal: 'SIGTERM', code: 143, to: 'the release process', group: false },
      { signal: 'SIGINT', code: 130, to: 'its whole process group (Ctrl-C)', group: true },
    ] as const;
    for (const { signal, code, to, group } of cases) {
      it(`on ${signal} to ${to}: cancels the statement on the server, a blocked reader gets through, nothing is recorded, one line, exit ${code}`, async () => {
        await queryOnce(scratch.url, 'CREATE TABLE keel_test_widgets (name text)');
        migrations = slowAlterMigration();
        const reader = new Client({ connectionString: scratch.url });
        await reader.connect();
        const release = startProcfileRelease(migrations);
        const exited = once(release.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
        try {
          await waitForStatement(scratch.name, SLEEP);
          const cli = await childrenOf(release.child.pid ?? -1);
          expect(cli, 'the sequelize-cli child').to.have.lengthOf(1);
          // A reader of the table, as a live server's GET is: it queues behind the migration's lock.
          const reading = reader.query('SELECT count(*)::int AS n FROM keel_test_widgets');
          reading.catch(() => undefined);
          await waitForLockWaiters(scratch.name, 1);

          const signalledAt = performance.now();
          process.kill(group ? -(release.child.pid ?? 0) : (release.child.pid ?? 0), signal);
          const { rows } = await reading;
          const readerWaitedMs = performance.now() - signalledAt;
          const [exitCode] = await exited;
          const gone = performance.now() + 5_000;
          while (cli.some(isRunning) && performance.now() < gone) await new Promise((resolve) => setTimeout(resolve, 50));

          expect(cli.filter(isRunning), 'sequelize-cli children still running').to.deep.equal([]);
          // The migration would hold its lock for ten minutes: the reader is through long before.
          expect(readerWaitedMs, 'ms the reader waited after the signal').to.be.below(15_000);
          expect(rows).to.deep.equal([{ n: 0 }]);
          expect(exitCode, release.output()).to.equal(code);
          const lines = release
            .output()
            .split('\n')
            .filter((line) => line.startsWith(`keel: db:migrate interrupted by ${signal}`));
          expect(lines, release.output()).to.deep.equal([
            `keel: db:migrate interrupted by ${signal}: ${MIGRATION} was cancelled on the server and its transaction rolled back; ` +
              `nothing was recorded in SequelizeMeta, so the next run applies it again; exit ${code}`,
          ]);
          const running = await queryOnce(
            testDatabaseUrl(),
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND (query = $2 OR application_name LIKE 'keel-migrate%')",
            [scratch.name, SLEEP],
          );
          expect(running, 'backends still running the migration').to.deep.equal([]);
          expect(await appliedMigrations(scratch.url)).to.deep.equal([]);
          const columns = await queryOnce(
            scratch.url,
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'keel_test_widgets' AND column_name = 'colour'",
          );
          expect(columns, 'the ALTER TABLE was rolled back').to.deep.equal([]);
        } finally {
          if (release.child.exitCode === null && release.child.signalCode === null) process.kill(-(release.child.pid ?? 0), 'SIGKILL');
          await reader.end().catch(() => undefined);
        }
      });
    }

    it("on SIGTERM while it waits for another run's migration lock: stops waiting at once, runs nothing, one line, exit 143", async () => {
      migrations = slowMigration();
      const holder = new Client({ connectionString: scratch.url });
      await holder.connect();
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const release = startProcfileRelease(migrations);
      const exited = once(release.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      try {
        expect(await waitForLockWaiters(scratch.name, 1)).to.deep.equal(['advisory']);

        release.child.kill('SIGTERM');
        const [exitCode] = await exited;

        expect(exitCode, release.output()).to.equal(143);
        expect(release.output()).to.include(
          'keel: db:migrate interrupted by SIGTERM while waiting for the migration lock: nothing ran; exit 143',
        );
        expect(await appliedMigrations(scratch.url)).to.deep.equal([]);
      } finally {
        if (release.child.exitCode === null && release.child.signalCode === null) process.kill(-(release.child.pid ?? 0), 'SIGKILL');
        await holder.end();
      }
    });
  });

  it('applies a migration once when two releases start at once: both exit 0, the second after waiting for the first', async () => {
    await queryOnce(scratch.url, 'CREATE TABLE keel_test_gate (id int)');
    migrations = temporaryMigrations({ withKeelMigrations: false });
    // Fails if applied twice (no IF NOT EXISTS). It first reads the gate, which the test holds
    // closed until both releases have started: without a lock around the run, both would be
    // past reading SequelizeMeta by then.
    migrations.add(
      '20990101000000-create-once.js',
      `module.exports = {
      async up(queryInterface) {
        await queryInterface.sequelize.query('SELECT count(*) FROM keel_test_gate');
        await queryInterface.sequelize.query('CREATE TABLE keel_test_applied_once (id int)');
      },
      down: (queryInterface) => queryInterface.sequelize.query('DROP TABLE keel_test_applied_once'),
    };`,
    );
    const gate = await holdLock(scratch.url, 'LOCK TABLE keel_test_gate IN ACCESS EXCLUSIVE MODE');
    const env = { ...TEST_ENV, DATABASE_URL: scratch.url, MIGRATE_LOCK_TIMEOUT_MS: '60000' };
    let runs: ReturnType<typeof startRelease>[] = [];
    try {
      runs = [startRelease(env, migrations.args), startRelease(env, migrations.args)];
      // One release waits at the gate inside its migration, the other for the migration lock.
      expect(await waitForLockWaiters(scratch.name, 2)).to.deep.equal(['advisory', 'relation']);
    } finally {
      await gate.release();
    }
    const results = await Promise.all(runs.map((run) => run.finished));

    for (const result of results) expect(result.code, result.output).to.equal(0);
    expect(results.map((result) => result.output).join('\n')).to.include('another run holds the migration lock; waiting');
    expect(await appliedMigrations(scratch.url)).to.deep.equal(['20990101000000-create-once.js']);
    expect(await tableExists(scratch.url, 'keel_test_applied_once')).to.equal(true);
  });

  describe('migrations made by npm run db:migration:new (lib/keel/generator/templates/)', () => {
    const FURTHER_STATEMENTS = '// Further statements here (indexes, constraints, row-level security), in the order they run.';

    /** The migration the generator writes for name, with text replaced in it when given. */
    function generated(name: string, replace?: readonly [string, string]): string {
      const sandbox = generatorSandbox();
      try {
        const run = sandbox.run(name);
        expect(run.status, run.stderr).to.equal(0);
        const [file = ''] = fs.readdirSync(sandbox.migrations);
        const source = fs.readFileSync(path.join(sandbox.migrations, file), 'utf8');
        if (!replace) return source;
        expect(source, `the template holds ${replace[0]}`).to.include(replace[0]);
        return source.replace(replace[0], replace[1]);
      } finally {
        fs.rmSync(sandbox.root, { recursive: true, force: true });
      }
    }

    /** keel's migrations and this one, in a directory of the test's own. */
    function withMigration(file: string, source: string): MigrationsDirectory {
      const directory = temporaryMigrations({ withKeelMigrations: true });
      directory.add(file, source);
      migrations = directory;
      return directory;
    }
    const migrate = (directory: MigrationsDirectory): ReturnType<typeof runRelease> =>
      runRelease({ ...TEST_ENV, DATABASE_URL: scratch.url }, directory.args);
    const undo = (directory: MigrationsDirectory): ReturnType<typeof runSequelizeCli> =>
      runSequelizeCli('db:migrate:undo', { ...TEST_ENV, DATABASE_URL: scratch.url }, { args: directory.args });

    it('create-keel-test-widgets applies and reverts as generated', async () => {
      const directory = withMigration('20990101000000-create-keel-test-widgets.js', generated('create-keel-test-widgets'));

      const migrated = await migrate(directory);
      expect(migrated.code, migrated.output).to.equal(0);
      expect(await tableExists(scratch.url, 'keel_test_widgets'), 'after db:migrate').to.equal(true);

      const undone = await undo(directory);
      expect(undone.code, undone.output).to.equal(0);
      expect(await tableExists(scratch.url, 'keel_test_widgets'), 'after db:migrate:undo').to.equal(false);
    });

    it('create-keel-test-widgets leaves no table from its first statement and no SequelizeMeta row when its second fails', async () => {
      const directory = withMigration(
        '20990101000000-create-keel-test-widgets.js',
        generated('create-keel-test-widgets', [FURTHER_STATEMENTS, "'SELECT 1 / 0',"]),
      );

      const result = await migrate(directory);

      expect(result.code, result.output).to.equal(1);
      expect(result.output).to.include('division by zero');
      expect(await tableExists(scratch.url, 'keel_test_widgets'), 'the table from the first statement').to.equal(false);
      expect(await appliedMigrations(scratch.url)).to.deep.equal(KEEL_MIGRATION_FILES);
    });

    it('create-keel-test-widgets fails on a keel_test_widgets table already there, which keeps its rows: undo can never drop a table it did not make', async () => {
      await queryOnce(scratch.url, 'CREATE TABLE keel_test_widgets (name text)');
      await queryOnce(scratch.url, "INSERT INTO keel_test_widgets VALUES ('kept')");
      const directory = withMigration('20990101000000-create-keel-test-widgets.js', generated('create-keel-test-widgets'));

      const result = await migrate(directory);

      expect(result.code, result.output).to.equal(1);
      expect(result.output).to.include('relation "keel_test_widgets" already exists');
      expect(await appliedMigrations(scratch.url)).to.deep.equal(KEEL_MIGRATION_FILES);
      expect(await queryOnce(scratch.url, 'SELECT name FROM keel_test_widgets')).to.deep.equal([{ name: 'kept' }]);
    });

    it('any other name refuses to run until its statements are written, and is not recorded as applied', async () => {
      const directory = withMigration('20990101000000-add-colour-to-keel-test-widgets.js', generated('add-colour-to-keel-test-widgets'));

      const result = await migrate(directory);

      expect(result.code, result.output).to.equal(1);
      expect(result.output).to.include('migration add-colour-to-keel-test-widgets: its UP list has no statements yet');
      expect(await appliedMigrations(scratch.url)).to.deep.equal(KEEL_MIGRATION_FILES);
    });

    it('any other name, its statements written, applies UP and reverts with DOWN', async () => {
      await queryOnce(scratch.url, 'CREATE TABLE keel_test_widgets (name text)');
      // The template's examples name widgets: written here as they are, on this test's own table.
      const [ADD, DROP] = ["'ALTER TABLE widgets ADD COLUMN colour text',", "'ALTER TABLE widgets DROP COLUMN colour',"];
      const template = generated('add-colour-to-keel-test-widgets');
      expect(template, 'the template shows both statements as examples').to.include(`// e.g. ${ADD}`).and.to.include(`// e.g. ${DROP}`);
      const onOwnTable = (statement: string): string => statement.replace('TABLE widgets', 'TABLE keel_test_widgets');
      const written = template.replace(`// e.g. ${ADD}`, onOwnTable(ADD)).replace(`// e.g. ${DROP}`, onOwnTable(DROP));
      const directory = withMigration('20990101000000-add-colour-to-keel-test-widgets.js', written);
      const columns = async (): Promise<string[]> =>
        (
          await queryOnce<{ name: string }>(
            scratch.url,
            "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'keel_test_widgets' ORDER BY ordinal_position",
          )
        ).map((row) => row.name);

      const migrated = await migrate(directory);
      expect(migrated.code, migrated.output).to.equal(0);
      expect(await columns(), 'after db:migrate').to.deep.equal(['name', 'colour']);

      const undone = await undo(directory);
      expect(undone.code, undone.output).to.equal(0);
      expect(await columns(), 'after db:migrate:undo').to.deep.equal(['name']);
      expect(await appliedMigrations(scratch.url)).to.deep.equal(KEEL_MIGRATION_FILES);
    });
  });

  it('treats empty environment values as unset, as the web process does', async () => {
    const result = await runRelease({
      ...TEST_ENV,
      DATABASE_URL: scratch.url,
      DATABASE_SSL: '',
      DB_POOL_IDLE_MS: '',
      DB_CONNECT_TIMEOUT_MS: '',
      MIGRATE_LOCK_TIMEOUT_MS: '',
      MIGRATE_STATEMENT_TIMEOUT_MS: '',
      LOG_LEVEL: '',
    });

    expect(result.code, result.output).to.equal(0);
    expect(await appliedMigrations(scratch.url)).to.deep.equal(migrationFilesOnDisk());
  });
});

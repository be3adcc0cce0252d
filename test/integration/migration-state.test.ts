import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import sinon from 'sinon';
import request from 'supertest';
import type { Database } from '../../lib/keel/db';
import { createMigrationMonitor, readMigrationState } from '../../lib/keel/db/migration-state';
import { buildTestApp, testDatabase } from '../support/app';
import { createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';
import { migrationFilesOnDisk, migrationsDirectory, runCliOk } from '../support/migrations';

/** A generous probe budget: these tests are about migrations, not about a slow first connection. */
const PROBE = { DB_PROBE_TIMEOUT_MS: '5000', DB_PROBE_WARN_MS: '4000' };

const FROM_A_NEWER_RELEASE = '29991231235959-from-a-newer-release.js';

async function recordApplied(url: string, ...names: string[]): Promise<void> {
  await queryOnce(url, 'CREATE TABLE IF NOT EXISTS "SequelizeMeta" (name varchar(255) PRIMARY KEY)');
  for (const name of names) await queryOnce(url, 'INSERT INTO "SequelizeMeta" (name) VALUES ($1)', [name]);
}

describe('migration state', function () {
  this.timeout(60_000);

  let scratch: ScratchDatabase;
  const opened: Database[] = [];
  const open = (overrides: Record<string, string> = {}): Database => {
    const database = testDatabase({ DATABASE_URL: scratch.url, ...PROBE, ...overrides });
    opened.push(database);
    return database;
  };

  beforeEach(async () => {
    scratch = await createScratchDatabase();
  });

  afterEach(async () => {
    sinon.restore();
    await Promise.all(opened.splice(0).map((database) => database.close()));
    await scratch.drop();
  });

  describe('readMigrationState(sequelize, db/migrations)', () => {
    it('reports every migration on disk as pending, none applied and no latest before the first db:migrate', async () => {
      const onDisk = migrationFilesOnDisk();

      const state = await readMigrationState(open().sequelize, migrationsDirectory());

      expect(onDisk.length, 'migrations on disk').to.be.at.least(1);
      expect(state).to.deep.equal({ applied: 0, pending: onDisk.length, unknown: 0, latest: null });
    });

    it('reports every migration applied, none pending and the newest as latest after db:migrate', async () => {
      const onDisk = migrationFilesOnDisk();
      await runCliOk('db:migrate', scratch.url);

      const state = await readMigrationState(open().sequelize, migrationsDirectory());

      expect(state).to.deep.equal({ applied: onDisk.length, pending: 0, unknown: 0, latest: onDisk.at(-1) });
    });

    it('counts a SequelizeMeta row with no file on disk as unknown (a newer release migrated the database)', async () => {
      const onDisk = migrationFilesOnDisk();
      await runCliOk('db:migrate', scratch.url);
      await recordApplied(scratch.url, FROM_A_NEWER_RELEASE);

      const state = await readMigrationState(open().sequelize, migrationsDirectory());

      expect(state).to.deep.equal({ applied: onDisk.length, pending: 0, unknown: 1, latest: FROM_A_NEWER_RELEASE });
    });
  });

  describe('readMigrationState with a partly applied directory', () => {
    let directory: string;

    beforeEach(() => {
      directory = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-migrations-'));
      for (const name of ['20260101000000-a.js', '20260102000000-b.js', '20260103000000-c.cjs', 'README.md', 'notes.json']) {
        fs.writeFileSync(path.join(directory, name), '');
      }
    });

    afterEach(() => {
      fs.rmSync(directory, { recursive: true, force: true });
    });

    it('counts .js and .cjs files only, compares them by name with SequelizeMeta and names the newest applied as latest', async () => {
      await recordApplied(scratch.url, '20260102000000-b.js', '20251231000000-gone.js');

      const state = await readMigrationState(open().sequelize, directory);

      expect(state).to.deep.equal({ applied: 1, pending: 2, unknown: 1, latest: '20260102000000-b.js' });
    });
  });

  describe('createMigrationMonitor(sequelize, directory)', () => {
    let directory: string;

    beforeEach(() => {
      directory = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-migrations-'));
      for (const name of ['20260101000000-a.js', '20260102000000-b.js']) fs.writeFileSync(path.join(directory, name), '');
    });

    afterEach(() => {
      fs.rmSync(directory, { recursive: true, force: true });
    });

    /** A monitor over the two migrations with the first applied, a fake Date clock and a spy on every query. */
    async function monitorWithOneOfTwoApplied(): Promise<{
      clock: sinon.SinonFakeTimers;
      query: sinon.SinonSpy;
      monitor: ReturnType<typeof createMigrationMonitor>;
    }> {
      const database = open();
      await recordApplied(scratch.url, '20260101000000-a.js');
      const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
      const query = sinon.spy(database.sequelize, 'query');
      return { clock, query, monitor: createMigrationMonitor(database.sequelize, directory) };
    }

    it('while migrations are pending, re-reads SequelizeMeta only once 10 s have passed, then never again once none are pending', async () => {
      const { clock, query, monitor } = await monitorWithOneOfTwoApplied();

      const first = await monitor.current();
      await recordApplied(scratch.url, '20260102000000-b.js');
      clock.tick(9_000);
      const within10s = await monitor.current();
      clock.tick(1_001);
      const after10s = await monitor.current();
      const readsSoFar = query.callCount;
      await queryOnce(scratch.url, 'DELETE FROM "SequelizeMeta"');
      clock.tick(60_000);
      const later = await monitor.current();

      expect(first, 'first read').to.include({ applied: 1, pending: 1 });
      expect(within10s, 'within 10 s: the same answer, no new read').to.equal(first);
      expect(after10s, 'after 10 s: read again').to.include({ applied: 2, pending: 0, latest: '20260102000000-b.js' });
      expect(readsSoFar, 'queries: one per read').to.equal(2);
      expect(later, 'once none are pending the state is final').to.equal(after10s);
      expect(query.callCount, 'no query after none are pending').to.equal(readsSoFar);
    });

    it('settled() answers at once with the known state while no re-read is due, and undefined when one is', async () => {
      const { clock, query, monitor } = await monitorWithOneOfTwoApplied();

      const beforeAnyRead = monitor.settled();
      const first = await monitor.current();
      const within10s = monitor.settled();
      clock.tick(10_001);
      const reReadDue = monitor.settled();
      await recordApplied(scratch.url, '20260102000000-b.js');
      const final = await monitor.current();
      clock.tick(60_000);

      expect(beforeAnyRead, 'before the first read').to.equal(undefined);
      expect(within10s, 'within 10 s').to.equal(first);
      expect(reReadDue, 'pending and 10 s passed: a re-read is due').to.equal(undefined);
      expect(monitor.settled(), 'none pending: final').to.equal(final).and.to.include({ pending: 0 });
      expect(query.callCount, 'settled() never queries').to.equal(2);
    });

    it('shares one read between concurrent callers', async () => {
      const database = open();
      const query = sinon.spy(database.sequelize, 'query');
      const monitor = createMigrationMonitor(database.sequelize, directory);

      const states = await Promise.all([monitor.current(), monitor.current(), monitor.current()]);

      expect(query.callCount).to.equal(1);
      for (const state of states) expect(state).to.deep.equal({ applied: 0, pending: 2, unknown: 0, latest: null });
    });
  });

  describe('GET /health/db', () => {
    it('reports every migration pending, none applied and latest null before db:migrate', async () => {
      const res = await request(buildTestApp(open())).get('/health/db');

      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('pass');
      expect(res.body.migrations).to.deep.equal({ applied: 0, pending: migrationFilesOnDisk().length, unknown: 0, latest: null });
    });

    it('reports the applied count, none pending and the newest name as latest after db:migrate', async () => {
      const onDisk = migrationFilesOnDisk();
      await runCliOk('db:migrate', scratch.url);

      const res = await request(buildTestApp(open())).get('/health/db');

      expect(res.status).to.equal(200);
      expect(res.body.migrations).to.deep.equal({ applied: onDisk.length, pending: 0, unknown: 0, latest: onDisk.at(-1) });
    });
  });

  describe('GET /health/ready', () => {
    it('answers 200 warn with reason migrations_pending when migrations are pending and MIGRATIONS_PENDING_READINESS=warn', async () => {
      const app = buildTestApp(open(), { config: { MIGRATIONS_PENDING_READINESS: 'warn' } });

      const res = await request(app).get('/health/ready');

      expect(res.status).to.equal(200);
      expect(res.body).to.include({ status: 'warn', reason: 'migrations_pending', phase: 'serving' });
      expect(res.body.migrations).to.deep.equal({ pending: migrationFilesOnDisk().length, latest: null });
      expect(res.body.database.status, 'the database itself').to.equal('pass');
    });

    it('answers 200 warn with reason migrations_pending by default (MIGRATIONS_PENDING_READINESS unset)', async () => {
      const res = await request(buildTestApp(open())).get('/health/ready');

      expect(res.status).to.equal(200);
      expect(res.body).to.include({ status: 'warn', reason: 'migrations_pending' });
    });

    it('answers 503 fail with reason migrations_pending and Retry-After when MIGRATIONS_PENDING_READINESS=fail', async () => {
      const app = buildTestApp(open(), { config: { MIGRATIONS_PENDING_READINESS: 'fail' } });

      const res = await request(app).get('/health/ready');

      expect(res.status).to.equal(503);
      expect(res.body).to.include({ status: 'fail', reason: 'migrations_pending' });
      expect(res.body.migrations.pending).to.equal(migrationFilesOnDisk().length);
      expect(res.headers['retry-after']).to.equal('1');
    });

    it('answers 200 pass with no reason once db:migrate has run, even with MIGRATIONS_PENDING_READINESS=fail', async () => {
      const onDisk = migrationFilesOnDisk();
      await runCliOk('db:migrate', scratch.url);
      const app = buildTestApp(open(), { config: { MIGRATIONS_PENDING_READINESS: 'fail' } });

      const res = await request(app).get('/health/ready');

      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('pass');
      expect(res.body).not.to.have.property('reason');
      expect(res.body.migrations).to.deep.equal({ pending: 0, latest: onDisk.at(-1) });
    });

    it('answers 200 pass when the database holds migrations this build does not have (unknown is not pending)', async () => {
      await runCliOk('db:migrate', scratch.url);
      await recordApplied(scratch.url, FROM_A_NEWER_RELEASE);
      const app = buildTestApp(open(), { config: { MIGRATIONS_PENDING_READINESS: 'fail' } });

      const res = await request(app).get('/health/ready');

      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('pass');
      expect(res.body.migrations).to.deep.equal({ pending: 0, latest: FROM_A_NEWER_RELEASE });
    });
  });
});

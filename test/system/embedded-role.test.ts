import { expect } from 'chai';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  EMBEDDED_DATABASE_NAME,
  EMBEDDED_DATABASE_ROLE,
  EMBEDDED_DATABASE_SUPERUSER,
  embeddedDatabaseUrl,
  readEmbeddedPassword,
} from '../../config/embedded-database';
import { runSequelizeCli } from '../../lib/keel/db/sequelize-cli';
import { freePort, queryOnce } from '../support/database';
import { httpRequest } from '../support/http';
import { makeLegacyDataDir } from '../support/legacy-embedded';
import { migrationFilesOnDisk } from '../support/migrations';
import { spawnServer, stageProjectCopy, type ServerProcess } from '../support/process';
import { registerSentinel } from '../support/sentinels';
import { insertNote, TENANT_A, TENANT_B, visibleNotes, writeTenantMigration } from '../support/tenant-table';

/** keel's sessions on its database, with the attributes of the role each runs as. */
const KEEL_SESSIONS_SQL = `
  SELECT a.usename AS role, r.rolsuper AS superuser, r.rolbypassrls AS "bypassRls", r.rolcreatedb AS "createDb",
         r.rolcreaterole AS "createRole", d.datdba = r.oid AS "ownsDatabase"
    FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid JOIN pg_database d ON d.oid = a.datid
   WHERE a.application_name = 'keel' AND a.datname = $1`;

/** What in schema public (relations, indexes, functions, types) some role other than keel's owns. */
const NOT_THE_ROLES_SQL = `
  SELECT kind, name, pg_get_userbyid(owner) AS owner FROM (
    SELECT 'relation' AS kind, c.relname::text AS name, c.relowner AS owner FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL SELECT 'function', p.proname::text, p.proowner FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    UNION ALL SELECT 'type', t.typname::text, t.typowner FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace
  ) objects WHERE pg_get_userbyid(owner) <> $1 ORDER BY kind, name`;

describe('bin/www in development: the role it connects to the embedded PostgreSQL as', function () {
  this.timeout(90_000);
  const started: ServerProcess[] = [];
  let parent: string;
  let project: string;
  let www: string;
  let dataDir: string;
  let databasePort: number;

  beforeEach(async () => {
    parent = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-embedded-role-'));
    // PostgreSQL runs as the postgres user when the suite runs as root: it must reach the directory.
    await fs.chmod(parent, 0o755);
    project = path.join(parent, 'project');
    www = stageProjectCopy(project);
    dataDir = path.join(parent, 'postgres');
    databasePort = await freePort();
  });
  afterEach(async () => {
    // SIGTERM first: keel stops its PostgreSQL on the way out, which a SIGKILL would leave running.
    await Promise.all(started.splice(0).map((server) => server.stop(15_000)));
    await fs.rm(parent, { recursive: true, force: true });
  });

  const urlAs = (role: string): string =>
    embeddedDatabaseUrl(role, readEmbeddedPassword(dataDir, role) as string, databasePort, EMBEDDED_DATABASE_NAME);

  /** npm start on the project copy: the embedded PostgreSQL, the migrations, then listening; returns the HTTP port. */
  async function startDevelopment(): Promise<{ server: ServerProcess; port: number }> {
    const server = spawnServer(
      {
        NODE_ENV: 'development',
        PORT: '0',
        LOG_LEVEL: 'info',
        // One connection stays open between requests, for pg_stat_activity to show.
        DB_POOL_MIN: '1',
        EMBEDDED_DATABASE_DIR: dataDir,
        EMBEDDED_DATABASE_PORT: String(databasePort),
      },
      www,
    );
    started.push(server);
    const [, port] = await server.waitForOutput(/listening \{"address":"[^"]*","port":(\d+)/, 60_000);
    const rolePassword = readEmbeddedPassword(dataDir, EMBEDDED_DATABASE_ROLE);
    if (rolePassword) registerSentinel(rolePassword, "the embedded service role's password");
    return { server, port: Number(port) };
  }

  it('runs every session of keel as a role that is no superuser, cannot bypass row-level security and owns the database', async () => {
    const { port } = await startDevelopment();

    const health = await httpRequest(port, '/health/db');
    const sessions = await queryOnce(urlAs(EMBEDDED_DATABASE_SUPERUSER), KEEL_SESSIONS_SQL, [EMBEDDED_DATABASE_NAME]);

    expect(health.status).to.equal(200);
    expect(sessions, 'keel sessions on its database').to.have.length.greaterThan(0);
    for (const session of sessions) {
      expect(session).to.deep.equal({
        role: EMBEDDED_DATABASE_ROLE,
        superuser: false,
        bypassRls: false,
        createDb: false,
        createRole: false,
        ownsDatabase: true,
      });
    }
    expect((await fs.stat(`${dataDir}.${EMBEDDED_DATABASE_ROLE}.password`)).mode & 0o777, "the role's password file").to.equal(0o600);
  });

  it("is bound by a generated --tenant table's policy: a session without app.tenant_id sees no rows, one of tenant A only A's", async () => {
    writeTenantMigration(path.join(project, 'db', 'migrations'));
    await startDevelopment();
    const role = urlAs(EMBEDDED_DATABASE_ROLE);
    await insertNote(role, TENANT_A, 'a1');
    await insertNote(role, TENANT_A, 'a2');
    await insertNote(role, TENANT_B, 'b1');

    const [table] = await queryOnce(
      role,
      "SELECT pg_get_userbyid(relowner) AS owner, relrowsecurity AS enabled, relforcerowsecurity AS forced FROM pg_class WHERE oid = 'keel_test_notes'::regclass",
    );
    const withoutTenant = await visibleNotes(role);
    const asTenantA = await visibleNotes(role, TENANT_A);
    const asSuperuser = await visibleNotes(urlAs(EMBEDDED_DATABASE_SUPERUSER));

    expect(table, 'the table, made by the migration npm start ran').to.deep.equal({
      owner: EMBEDDED_DATABASE_ROLE,
      enabled: true,
      forced: true,
    });
    expect(withoutTenant).to.deep.equal([]);
    expect(asTenantA).to.deep.equal(['a1', 'a2']);
    expect(asSuperuser, 'the superuser, which keel used to connect as, bypasses the policy').to.deep.equal(['a1', 'a2', 'b1']);
  });

  describe('on a data directory an older keel made, where the superuser owns the database and everything in it', () => {
    it('hands the database and every object in schema public to the role, migrates as it, and has nothing to do on the next start', async () => {
      await makeLegacyDataDir(dataDir, databasePort, async (superuserUrl) => {
        const migrated = await runSequelizeCli(
          'db:migrate',
          { PATH: process.env.PATH ?? '', NODE_ENV: 'development', DATABASE_URL: superuserUrl },
          { cwd: project },
        );
        expect(migrated.code, migrated.output).to.equal(0);
        await queryOnce(
          superuserUrl,
          `CREATE TYPE keel_test_mood AS ENUM ('calm', 'busy');
           CREATE TABLE keel_test_counters (id serial PRIMARY KEY, mood keel_test_mood, n integer GENERATED ALWAYS AS IDENTITY);
           CREATE SEQUENCE keel_test_tickets;
           CREATE VIEW keel_test_calm_counters AS SELECT id FROM keel_test_counters WHERE mood = 'calm';
           CREATE FUNCTION keel_test_add_one(i integer) RETURNS integer LANGUAGE sql AS 'SELECT i + 1'`,
        );
        const owners = await queryOnce(
          superuserUrl,
          `SELECT pg_get_userbyid(d.datdba) AS database, pg_get_userbyid(c.relowner) AS "SequelizeMeta"
             FROM pg_database d, pg_class c WHERE d.datname = current_database() AND c.oid = '"SequelizeMeta"'::regclass`,
        );
        expect(owners, 'the old layout').to.deep.equal([{ database: 'postgres', SequelizeMeta: 'postgres' }]);
      });
      const superuser = urlAs(EMBEDDED_DATABASE_SUPERUSER);
      const notesMigration = writeTenantMigration(path.join(project, 'db', 'migrations'));

      const first = await startDevelopment();
      const owner = await queryOnce(superuser, 'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [
        EMBEDDED_DATABASE_NAME,
      ]);
      const leftToOthers = await queryOnce(superuser, NOT_THE_ROLES_SQL, [EMBEDDED_DATABASE_ROLE]);
      const [schema] = await queryOnce(
        superuser,
        "SELECT pg_has_role($1, nspowner, 'USAGE') AS owns FROM pg_namespace WHERE nspname = 'public'",
        [EMBEDDED_DATABASE_ROLE],
      );
      const applied = await queryOnce<{ name: string }>(urlAs(EMBEDDED_DATABASE_ROLE), 'SELECT name FROM "SequelizeMeta" ORDER BY name');
      await insertNote(urlAs(EMBEDDED_DATABASE_ROLE), TENANT_A, 'a1');
      const withoutTenant = await visibleNotes(urlAs(EMBEDDED_DATABASE_ROLE));
      first.server.signal('SIGTERM');
      const firstExit = await first.server.exited;

      const second = await startDevelopment();
      second.server.signal('SIGTERM');
      const secondExit = await second.server.exited;

      expect(owner).to.deep.equal([{ owner: EMBEDDED_DATABASE_ROLE }]);
      expect(leftToOthers, 'objects in public the role does not own').to.deep.equal([]);
      expect(schema, 'schema public is the database owner’s').to.deep.equal({ owns: true });
      expect(applied.map((row) => row.name)).to.deep.equal([...migrationFilesOnDisk(), notesMigration]);
      expect(withoutTenant).to.deep.equal([]);
      expect(first.server.output()).to.match(/now belongs to the ordinary role "keel"[^\n]*"objectsTransferred":\d+/);
      expect(second.server.output()).not.to.include('now belongs to the ordinary role');
      expect([firstExit.code, secondExit.code], `${first.server.output()}\n${second.server.output()}`).to.deep.equal([0, 0]);
    });
  });
});

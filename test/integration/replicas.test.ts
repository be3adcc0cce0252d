import crypto from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { expect } from 'chai';
import request from 'supertest';
import { DataTypes, QueryTypes } from 'sequelize';
import type { Database, ProbeReport } from '../../lib/keel/db';
import { selectRows } from '../../lib/keel/db/reads';
import { buildTestApp, testDatabase } from '../support/app';
import { queryOnce, withDatabase } from '../support/database';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { migrationFilesOnDisk } from '../support/migrations';
import { startStreamingReplication, type StreamingReplication } from '../support/replica';
import { expectNoConnectionDetails, unreachableDatabaseUrl } from './fixtures';

// A real primary and a streaming replica of it (test/support/replica.ts). Each test gets a
// database of its own on the primary, replicated like everything else; its marker view names the
// server that answers, so a read shows where it went.

const BUDGETS = {
  DB_POOL_MAX: '3',
  DB_CONNECT_TIMEOUT_MS: '500',
  DB_POOL_ACQUIRE_MS: '1000',
  DB_STATEMENT_TIMEOUT_MS: '3000',
  // A generous probe budget: these tests are about where queries go, not about a slow first connection.
  DB_PROBE_TIMEOUT_MS: '5000',
  DB_PROBE_WARN_MS: '4000',
};

interface ReplicatedDatabase {
  readonly primaryUrl: string;
  readonly replicaUrl: string;
  drop(): Promise<void>;
}

async function createMarkedDatabase(replication: StreamingReplication): Promise<ReplicatedDatabase> {
  const name = `keel_replicated_${crypto.randomBytes(6).toString('hex')}`;
  // FILE_COPY: the replica replays one record instead of the WAL of a whole copied template (the servers run with fsync off).
  await queryOnce(replication.primaryUrl, `CREATE DATABASE ${name} STRATEGY FILE_COPY`);
  const primaryUrl = withDatabase(replication.primaryUrl, name);
  await queryOnce(
    primaryUrl,
    `CREATE VIEW keel_test_marker AS SELECT CASE WHEN pg_is_in_recovery() THEN 'replica' ELSE 'primary' END AS source;
     CREATE TABLE keel_test_writes (value text NOT NULL);`,
  );
  await replication.caughtUp();
  return {
    primaryUrl,
    replicaUrl: withDatabase(replication.replicaUrl, name),
    drop: async () => {
      await queryOnce(replication.primaryUrl, `DROP DATABASE ${name} WITH (FORCE)`);
    },
  };
}

/** Where a plain read, outside any transaction unless CLS supplies one, was answered. */
async function readMarker(database: Database): Promise<string | undefined> {
  const [row] = await database.sequelize.query<{ source: string }>('SELECT source FROM keel_test_marker', { type: QueryTypes.SELECT });
  return row?.source;
}

/** The same read through selectRows, which acquires its connection itself (lib/keel/db/reads.ts). */
async function selectMarker(database: Database): Promise<string | undefined> {
  const [row] = await selectRows<{ source: string }>(database.sequelize, 'SELECT source FROM keel_test_marker', []);
  return row?.source;
}

async function writesIn(url: string): Promise<string[]> {
  return (await queryOnce<{ value: string }>(url, 'SELECT value FROM keel_test_writes ORDER BY value')).map((row) => row.value);
}

/** Marks every migration on disk as applied, so readiness is not degraded by pending migrations. */
async function markMigrated(url: string): Promise<void> {
  await queryOnce(url, 'CREATE TABLE "SequelizeMeta" (name varchar(255) PRIMARY KEY)');
  for (const name of migrationFilesOnDisk()) await queryOnce(url, 'INSERT INTO "SequelizeMeta" (name) VALUES ($1)', [name]);
}

/** A probe result of its own, not one joined from a probe a read started in the background. */
async function freshCheck(database: Database): Promise<ProbeReport | undefined> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const report = await database.replicas[0]?.probe.check();
    if (!report?.cached) return report;
  }
  throw new Error('the replica probe kept answering from a shared result');
}

/**
 * Holds the first connection opened to the given port inside Sequelize's connect sequence (after
 * the driver connected, before the pool has the connection), until release() is called.
 */
function holdFirstConnectionTo(database: Database, port: number): { opened: Promise<EventEmitter>; release(): void } {
  let opened: (connection: EventEmitter) => void = () => undefined;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let held = false;
  database.sequelize.addHook('afterConnect', async (connection: unknown, config: { port?: number | string }) => {
    if (held || Number(config.port) !== port) return;
    held = true;
    opened(connection as EventEmitter);
    await released;
  });
  return {
    opened: new Promise<EventEmitter>((resolve) => {
      opened = resolve;
    }),
    release: () => release(),
  };
}

describe('read replicas (DATABASE_REPLICA_URLS)', function () {
  this.timeout(30_000);

  let replication: StreamingReplication;
  let replicated: ReplicatedDatabase;
  let primary: { url: string };
  let replica: { url: string };
  const opened: Database[] = [];
  const open = (overrides: Record<string, string>): Database => {
    const database = testDatabase({ DATABASE_URL: primary.url, ...BUDGETS, ...overrides });
    opened.push(database);
    return database;
  };

  before(async function () {
    this.timeout(90_000);
    replication = await startStreamingReplication();
  });

  after(async function () {
    this.timeout(30_000);
    await replication.stop();
  });

  beforeEach(async () => {
    replicated = await createMarkedDatabase(replication);
    primary = { url: replicated.primaryUrl };
    replica = { url: replicated.replicaUrl };
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
    await replicated.drop();
  });

  describe('when the replica is up', () => {
    it('sends a SELECT outside a transaction to the replica', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replica.url });

      expect(await readMarker(database)).to.equal('replica');
    });

    it('sends every query to the primary when no replica is configured', async () => {
      const database = open({});

      expect(await readMarker(database)).to.equal('primary');
      expect(database.replicas, 'replicas').to.deep.equal([]);
    });

    it('sends a model findAll outside a transaction to the replica', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replica.url });
      const Marker = database.sequelize.define('Marker', { source: DataTypes.TEXT }, { tableName: 'keel_test_marker', timestamps: false });
      Marker.removeAttribute('id');

      const rows = await Marker.findAll({ raw: true });

      expect(rows).to.deep.equal([{ source: 'replica' }]);
    });

    it('sends a selectRows read outside a transaction to the replica, and one inside a unit of work to the primary', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replica.url });

      const outside = await selectMarker(database);
      const inside = await database.unitOfWork({ user_id: '42' }, () => selectMarker(database));

      expect({ outside, inside }).to.deep.equal({ outside: 'replica', inside: 'primary' });
    });

    it('sends an INSERT to the primary', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replica.url });

      await database.sequelize.query("INSERT INTO keel_test_writes (value) VALUES ('written')", { type: QueryTypes.INSERT });

      // A replica refuses writes (read-only transaction): the row is there because the primary took it.
      expect(await writesIn(primary.url), 'primary').to.deep.equal(['written']);
    });

    it('sends the reads inside a transaction to the primary, with no transaction passed by hand', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replica.url });

      const seen = await database.sequelize.transaction(async () => {
        await database.sequelize.query("INSERT INTO keel_test_writes (value) VALUES ('in a transaction')", { type: QueryTypes.INSERT });
        return readMarker(database);
      });

      expect(seen).to.equal('primary');
      expect(await writesIn(primary.url)).to.deep.equal(['in a transaction']);
    });

    it('sends the reads inside a unit of work to the primary', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replica.url });

      const seen = await database.unitOfWork({ user_id: '42' }, () => readMarker(database));

      expect(seen).to.equal('primary');
    });

    it('GET /health/db reports the replica pool apart from the primary pool, naming the replica by host:port only', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replica.url });
      await markMigrated(primary.url);
      await readMarker(database);
      const holding = await database.sequelize.transaction();
      try {
        await database.sequelize.query('SELECT 1', { transaction: holding });

        const res = await request(buildTestApp(database)).get('/health/db');

        expect(res.status).to.equal(200);
        expect(res.body.status).to.equal('pass');
        expect(res.body.replicas).to.have.length(1);
        const [reported] = res.body.replicas;
        const { hostname, port } = new URL(replica.url);
        expect(reported.server).to.equal(`${hostname}:${port}`);
        expect(reported.status).to.equal('pass');
        expect(reported.responseTimeMs).to.be.a('number').and.to.be.at.least(0);
        expect(res.body.pool, 'primary pool: the held transaction').to.include({ using: 1, max: 3 });
        expect(reported.pool, 'replica pool: idle after the read').to.include({ using: 0, max: 3 });
        expect(reported.pool.size, 'replica pool size after a read').to.be.at.least(1);
        expect(reported.pool.available).to.equal(reported.pool.size);
        expectNoConnectionDetails(res.text, replica.url, ['host', 'port']);
      } finally {
        await holding.rollback();
      }
    });

    it('GET /health/db reads the migration state from the primary, not from a replica that has not caught up', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replica.url });
      await markMigrated(primary.url);

      const res = await request(buildTestApp(database)).get('/health/db');

      expect(res.status).to.equal(200);
      expect(res.body.migrations).to.deep.equal({
        applied: migrationFilesOnDisk().length,
        pending: 0,
        unknown: 0,
        latest: migrationFilesOnDisk().at(-1),
      });
    });

    it('GET /health/ready answers 200 pass', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replica.url });
      await markMigrated(primary.url);

      const res = await request(buildTestApp(database)).get('/health/ready');

      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('pass');
    });
  });

  describe('when the replica is down', () => {
    let replicaUrl: string;

    beforeEach(async () => {
      replicaUrl = await unreachableDatabaseUrl();
      await markMigrated(primary.url);
    });

    it('GET /health/db answers 200 warn, with the replica reported as fail by host:port and no user, database or credential', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replicaUrl });

      const res = await request(buildTestApp(database)).get('/health/db');

      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('warn');
      const { hostname, port } = new URL(replicaUrl);
      expect(res.body.replicas).to.have.length(1);
      expect(res.body.replicas[0]).to.include({ server: `${hostname}:${port}`, status: 'fail', code: 'database_unavailable' });
      expect(res.body.replicas[0].pool).to.include({ using: 0, max: 3 });
      expect(res.body).not.to.have.property('code');
      expectNoConnectionDetails(res.text, replicaUrl, ['host', 'port']);
    });

    it('GET /health/ready answers 200 warn: the service still takes traffic', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replicaUrl });

      const res = await request(buildTestApp(database)).get('/health/ready');

      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('warn');
      expect(res.body).not.to.have.property('reason');
      expect(res.body.database.status, 'the primary').to.equal('pass');
      expectNoConnectionDetails(res.text, replicaUrl);
    });

    it('sends reads to the primary once GET /health/db has recorded the failure', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replicaUrl });
      await request(buildTestApp(database)).get('/health/db');

      expect(await readMarker(database)).to.equal('primary');
    });

    it('sends reads to the primary once the replica probe has recorded the failure', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replicaUrl });
      const report = await database.replicas[0]?.probe.check();

      const seen = await Promise.all([readMarker(database), readMarker(database), readMarker(database)]);

      expect(report?.status, 'replica probe').to.equal('fail');
      expect(seen).to.deep.equal(['primary', 'primary', 'primary']);
    });

    it('sends selectRows reads to the primary once the replica probe has recorded the failure', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replicaUrl });
      await database.replicas[0]?.probe.check();

      expect(await Promise.all([selectMarker(database), selectMarker(database)])).to.deep.equal(['primary', 'primary']);
    });

    it('still sends writes to the primary', async () => {
      const database = open({ DATABASE_REPLICA_URLS: replicaUrl });
      await database.replicas[0]?.probe.check();

      await database.sequelize.query("INSERT INTO keel_test_writes (value) VALUES ('written')", { type: QueryTypes.INSERT });

      expect(await writesIn(primary.url)).to.deep.equal(['written']);
    });
  });

  describe('when a replica connection breaks while it is being opened', () => {
    let proxy: FaultProxy | undefined;
    let hold: { release(): void } | undefined;

    afterEach(async () => {
      hold?.release();
      await Promise.all(opened.splice(0).map((database) => database.close()));
      await proxy?.close();
      proxy = undefined;
    });

    it('throws no uncaught exception (which would end the process): the probe reports fail and reads go to the primary', async () => {
      proxy = await startFaultProxy(replica.url);
      const database = open({ DATABASE_REPLICA_URLS: proxy.url });
      const held = holdFirstConnectionTo(database, proxy.port);
      hold = held;
      const probing = database.replicas[0]?.probe.check();
      const connection = await held.opened;
      const broke = new Promise<void>((resolve) => connection.prependOnceListener('error', () => resolve()));

      proxy.resetAll();
      await broke;
      held.release();
      const report = await probing;

      expect(report?.status, 'replica probe').to.equal('fail');
      expect(await readMarker(database)).to.equal('primary');
    });
  });

  describe('when the replica comes back', () => {
    let proxy: FaultProxy | undefined;

    afterEach(async () => {
      // The pool first, so its connections through the proxy end cleanly rather than being reset.
      await Promise.all(opened.splice(0).map((database) => database.close()));
      await proxy?.close();
      proxy = undefined;
    });

    it('sends reads to the replica again once its probe passes', async () => {
      proxy = await startFaultProxy(replica.url);
      await proxy.refuse();
      const database = open({ DATABASE_REPLICA_URLS: proxy.url, DB_PROBE_CACHE_MS: '0' });
      const down = await freshCheck(database);
      const whileDown = await readMarker(database);

      await proxy.pass();
      const up = await freshCheck(database);
      const afterwards = await readMarker(database);

      expect(down?.status, 'probe while refused').to.equal('fail');
      expect(whileDown, 'read while the replica is down').to.equal('primary');
      expect(up?.status, 'probe once it listens again').to.equal('pass');
      expect(afterwards, 'read once the replica is back').to.equal('replica');
    });
  });
});

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../../lib/keel/db';
import { testDatabase } from '../support/app';
import { testDatabaseUrl } from '../support/database';
import { projectRoot } from '../../config/project';

// lib/keel/db/pool.ts reads parts of Sequelize 6 that its typings do not expose: the connection manager's
// pool (sequelize-pool's counters), getConnection/releaseConnection/destroyConnection, a connection's
// _invalid mark (lib/keel/db/reads.ts), and the connection factory (_connect, _disconnect, config.pool) each replica pool is
// built from (lib/keel/db/replica-pools.ts). package.json pins Sequelize to one minor;
// this test says what moved when an upgrade changes any of it.
const WHERE = 'Sequelize changed the private pool API that lib/keel/db/pool.ts reads; adapt lib/keel/db/pool.ts before upgrading';

type Bag = Record<string, unknown>;

interface ConnectionCalls {
  getConnection(options: Bag): Promise<Bag & { processID: number; _invalid?: boolean }>;
  releaseConnection(connection: Bag): void;
}

function expectCounters(pool: unknown, label: string): void {
  for (const counter of ['size', 'available', 'using', 'waiting', 'maxSize', 'minSize']) {
    expect(typeof (pool as Bag)[counter], `${WHERE}: ${label}.${counter} is no longer a number`).to.equal('number');
  }
}

function connectionManager(database: Database): Bag {
  return (database.sequelize as unknown as { connectionManager: Bag }).connectionManager;
}

describe("Sequelize's private pool API (lib/keel/db/pool.ts)", () => {
  const opened: Database[] = [];
  after(async () => {
    await Promise.all(opened.map((database) => database.close()));
  });

  it('is the minor package.json pins', () => {
    const readJson = (file: string): Bag => JSON.parse(fs.readFileSync(file, 'utf8')) as Bag;
    const dependencies = readJson(path.join(projectRoot(), 'package.json')).dependencies as Record<string, string>;
    const sequelizeVersion = String(readJson(require.resolve('sequelize/package.json')).version);
    const pinned = /^~(\d+\.\d+)\./.exec(dependencies.sequelize ?? '')?.[1];

    expect(pinned, 'package.json pins sequelize with ~major.minor.patch').to.be.a('string');
    expect(sequelizeVersion.startsWith(`${pinned}.`), `installed Sequelize ${sequelizeVersion}, pinned ~${pinned}`).to.equal(true);
  });

  describe('without replicas', () => {
    it('has a single sequelize-pool with its counters, and the acquire, release and destroy calls', async () => {
      const database = testDatabase();
      opened.push(database);
      const manager = connectionManager(database);

      expectCounters(manager.pool, 'connectionManager.pool');
      for (const call of ['getConnection', 'releaseConnection', 'destroyConnection']) {
        expect(typeof manager[call], `${WHERE}: connectionManager.${call} is gone`).to.equal('function');
      }
      const connection = await (manager.getConnection as (options: Bag) => Promise<Bag>)({ type: 'write' });
      expect(typeof connection.processID, `${WHERE}: a pooled connection has no processID`).to.equal('number');
      expect(typeof connection.secretKey, `${WHERE}: a pooled connection has no secretKey`).to.equal('number');
      (manager.releaseConnection as (connection: Bag) => void)(connection);
    });

    it('destroys a released connection marked _invalid instead of handing it out again', async () => {
      const database = testDatabase({ DB_POOL_MAX: '1' });
      opened.push(database);
      const manager = connectionManager(database) as unknown as ConnectionCalls;

      const first = await manager.getConnection({ type: 'write' });
      first._invalid = true;
      manager.releaseConnection(first);
      const second = await manager.getConnection({ type: 'write' });
      manager.releaseConnection(second);

      expect(second.processID, `${WHERE}: a connection marked _invalid was pooled again`).not.to.equal(first.processID);
    });
  });

  describe('with replicas (lib/keel/db/replica-pools.ts)', () => {
    it('offers the _connect, _disconnect and pool limits each replica pool is built from', () => {
      const database = testDatabase({ DATABASE_REPLICA_URLS: testDatabaseUrl() });
      opened.push(database);
      const manager = connectionManager(database);
      const limits = ((manager.config as Bag | undefined)?.pool ?? {}) as Bag;

      for (const call of ['_connect', '_disconnect']) {
        expect(typeof manager[call], `${WHERE}: connectionManager.${call} is gone`).to.equal('function');
      }
      for (const limit of ['max', 'min', 'idle', 'acquire', 'evict']) {
        expect(typeof limits[limit], `${WHERE}: connectionManager.config.pool.${limit} is no longer a number`).to.equal('number');
      }
      expect(typeof limits.validate, `${WHERE}: connectionManager.config.pool.validate is gone`).to.equal('function');
      expectCounters(manager.pool, 'connectionManager.pool (the primary alone)');
    });

    it('routes the release and the destroy of a replica connection, made through the primary pool, to the replica pool', async () => {
      const database = testDatabase({ DATABASE_REPLICA_URLS: testDatabaseUrl(), DB_POOL_MAX: '1' });
      opened.push(database);
      const manager = connectionManager(database) as unknown as ConnectionCalls & { destroyConnection(connection: Bag): Promise<void> };
      const [replica] = database.replicas;
      if (!replica) throw new Error('no replica');

      const first = (await replica.acquire()) as unknown as Bag;
      const whileHeld = replica.poolStats();
      manager.releaseConnection(first);
      const released = replica.poolStats();
      const second = (await replica.acquire()) as unknown as Bag;
      await manager.destroyConnection(second);

      expect(whileHeld, 'replica pool while its connection is held').to.include({ size: 1, using: 1 });
      expect(released, 'replica pool once released through the connection manager').to.include({ size: 1, using: 0, available: 1 });
      expect(replica.poolStats(), 'replica pool once destroyed through the connection manager').to.include({ size: 0, using: 0 });
      expect(database.poolStats(), 'the primary pool, untouched').to.include({ size: 0, using: 0 });
    });
  });
});

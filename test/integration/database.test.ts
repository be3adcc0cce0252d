import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { ConnectionAcquireTimeoutError, QueryTypes, type Transaction } from 'sequelize';
import type { Database, PoolStats } from '../../lib/keel/db';
import { classifyDatabaseFault } from '../../lib/keel/db/errors';
import { testDatabase } from '../support/app';
import { openConnections } from '../support/connections';
import { queryOnce, testDatabaseUrl } from '../support/database';
import { unreachableDatabase } from './fixtures';

/** Runs a promise expected to reject and returns what it rejected with and how long it took. */
async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (error) {
    return { error, elapsedMs: performance.now() - started };
  }
  throw new Error('expected the promise to reject, but it resolved');
}

async function backendPid(database: Database, transaction?: Transaction): Promise<number> {
  const [row] = await database.sequelize.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', {
    type: QueryTypes.SELECT,
    ...(transaction ? { transaction } : {}),
  });
  if (!row) throw new Error('pg_backend_pid() returned no row');
  return row.pid;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('createDatabase', () => {
  const opened: Database[] = [];
  const open = (overrides: Record<string, string> = {}): Database => {
    const database = testDatabase(overrides);
    opened.push(database);
    return database;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  describe('the afterConnect hook', () => {
    it('sets application_name keel, the configured statement_timeout and TimeZone UTC on a pooled connection', async () => {
      const database = open({ DB_STATEMENT_TIMEOUT_MS: '7000' });

      const [row] = await database.sequelize.query<{ a: string; s: string; t: string }>(
        "SELECT current_setting('application_name') a, current_setting('statement_timeout') s, current_setting('TimeZone') t",
        { type: QueryTypes.SELECT },
      );

      expect(row).to.deep.equal({ a: 'keel', s: '7s', t: 'UTC' });
    });

    it('is seen by the server: pg_stat_activity shows the pooled connection as application keel', async () => {
      const database = open();
      const transaction = await database.sequelize.transaction();
      try {
        const pid = await backendPid(database, transaction);

        const rows = await queryOnce<{ application_name: string; datname: string }>(
          testDatabaseUrl(),
          'SELECT application_name, datname FROM pg_stat_activity WHERE pid = $1',
          [pid],
        );

        expect(rows).to.have.length(1);
        expect(rows[0]?.application_name).to.equal('keel');
        expect(rows[0]?.datname).to.equal(decodeURIComponent(new URL(testDatabaseUrl()).pathname.slice(1)));
      } finally {
        await transaction.rollback();
      }
    });
  });

  describe('statement_timeout', () => {
    const budgets = { DB_POOL_MAX: '1', DB_CONNECT_TIMEOUT_MS: '200', DB_POOL_ACQUIRE_MS: '400', DB_STATEMENT_TIMEOUT_MS: '500' };

    it('cancels a statement that runs longer, classified as database_timeout', async () => {
      const database = open(budgets);
      await openConnections(database);

      const { error, elapsedMs } = await rejection(database.sequelize.query('SELECT pg_sleep(3)'));

      expect(elapsedMs, 'cancelled near the 500 ms statement timeout').to.be.within(400, 1_500);
      expect(classifyDatabaseFault(error)?.code).to.equal('database_timeout');
    });

    it('leaves the pooled connection healthy: the same connection answers ping() afterwards', async () => {
      const database = open(budgets);
      await openConnections(database);
      const pidBefore = await backendPid(database);
      await rejection(database.sequelize.query('SELECT pg_sleep(3)'));

      const { responseTimeMs } = await database.ping();
      const pidAfter = await backendPid(database);

      expect(responseTimeMs).to.be.a('number').and.to.be.at.least(0);
      expect(pidAfter, 'the backend serving the pool').to.equal(pidBefore);
      expect(database.poolStats()).to.include({ size: 1, using: 0, available: 1 });
    });
  });

  describe('poolStats()', () => {
    it('reports an empty pool with the configured bounds before the first query', () => {
      const database = open({ DB_POOL_MAX: '4', DB_POOL_MIN: '0' });

      expect(database.poolStats()).to.deep.equal({ size: 0, available: 0, using: 0, waiting: 0, max: 4, min: 0 });
    });

    it('counts a connection as using while a transaction holds it, and as available after commit', async () => {
      const database = open({ DB_POOL_MAX: '4' });

      const transaction = await database.sequelize.transaction();
      let inside: PoolStats | undefined;
      try {
        await database.sequelize.query('SELECT 1', { transaction });
        inside = database.poolStats();
      } finally {
        await transaction.commit();
      }
      const after = database.poolStats();

      if (!inside) throw new Error('no pool numbers were read inside the transaction');
      expect(inside.using, 'using inside the transaction').to.be.at.least(1);
      expect(inside.size, 'size inside the transaction').to.be.at.least(1);
      expect(after.using, 'using after commit').to.equal(0);
      expect(after.available, 'available after commit').to.equal(after.size);
      expect(after.size, 'size after commit').to.be.at.least(1);
      expect(after.max).to.equal(4);
    });
  });

  describe('pool exhaustion', () => {
    it('rejects a ping with ConnectionAcquireTimeoutError (database_pool_exhausted) after the acquire timeout', async () => {
      const acquireMs = 600;
      const database = open({
        DB_POOL_MAX: '1',
        DB_CONNECT_TIMEOUT_MS: '300',
        DB_POOL_ACQUIRE_MS: String(acquireMs),
        DB_STATEMENT_TIMEOUT_MS: '5000',
      });
      await openConnections(database);
      const transaction = await database.sequelize.transaction();
      try {
        await database.sequelize.query('SELECT 1', { transaction });

        const pending = rejection(database.ping());
        await until(() => database.poolStats().waiting === 1, acquireMs / 2);
        const { error, elapsedMs } = await pending;

        expect(error).to.be.instanceOf(ConnectionAcquireTimeoutError);
        expect(classifyDatabaseFault(error)?.code).to.equal('database_pool_exhausted');
        expect(elapsedMs, 'about the acquire timeout').to.be.within(acquireMs - 100, acquireMs + 1_000);
        expect(database.poolStats()).to.include({ size: 1, using: 1, waiting: 0 });
      } finally {
        await transaction.rollback();
      }
    });

    it('tells onAcquire how long each checkout took, a checkout that timed out included', async () => {
      const acquireMs = 600;
      const database = open({
        DB_POOL_MAX: '1',
        DB_CONNECT_TIMEOUT_MS: '300',
        DB_POOL_ACQUIRE_MS: String(acquireMs),
        DB_STATEMENT_TIMEOUT_MS: '5000',
      });
      await openConnections(database);
      const checkouts: { pool: string; seconds: number }[] = [];
      database.onAcquire((pool, seconds) => checkouts.push({ pool, seconds }));
      const transaction = await database.sequelize.transaction();
      try {
        await database.sequelize.query('SELECT 1', { transaction });

        const { error } = await rejection(database.ping());

        expect(error).to.be.instanceOf(ConnectionAcquireTimeoutError);
        expect(checkouts.map(({ pool }) => pool)).to.deep.equal(['primary', 'primary']);
        expect(checkouts[0]?.seconds, 'the transaction got an idle connection without waiting').to.be.below(acquireMs / 1000 / 2);
        expect(checkouts[1]?.seconds, 'the ping waited the acquire timeout').to.be.within(acquireMs / 1000 - 0.1, acquireMs / 1000 + 1);
      } finally {
        await transaction.rollback();
      }
    });

    it('serves the next caller once the holding transaction ends', async () => {
      const database = open({
        DB_POOL_MAX: '1',
        DB_CONNECT_TIMEOUT_MS: '300',
        DB_POOL_ACQUIRE_MS: '2000',
        DB_STATEMENT_TIMEOUT_MS: '5000',
      });
      await openConnections(database);
      const transaction = await database.sequelize.transaction();
      await database.sequelize.query('SELECT 1', { transaction });
      const pending = database.ping();
      try {
        await until(() => database.poolStats().waiting === 1, 1_000);
      } finally {
        await transaction.commit();
      }

      const { responseTimeMs } = await pending;
      expect(responseTimeMs).to.be.at.least(0);
      expect(database.poolStats()).to.include({ size: 1, using: 0, waiting: 0 });
    });
  });

  describe('close()', () => {
    it('resolves within its timeout even when a transaction still holds a connection', async () => {
      const database = open();
      const transaction = await database.sequelize.transaction();
      await database.sequelize.query('SELECT 1', { transaction });

      try {
        const started = performance.now();
        await database.close(300);
        const elapsedMs = performance.now() - started;

        expect(elapsedMs).to.be.within(250, 1_000);
      } finally {
        // Give the abandoned connection back so the pool can finish draining and the socket closes.
        await transaction.rollback();
      }
    });

    it('returns the same promise when called again (idempotent)', async () => {
      const database = open();
      await database.ping();

      const first = database.close(1_000);
      const second = database.close(5_000);

      expect(second).to.equal(first);
      await first;
      expect(database.close()).to.equal(first);
    });

    it('leaves a database whose ping() rejects', async () => {
      const database = open();
      await database.ping();
      await database.close();

      const { error } = await rejection(database.ping());

      expect(error).to.be.instanceOf(Error);
    });
  });

  describe('ping()', () => {
    it('resolves with a response time when the server is up', async () => {
      const database = open();

      const { responseTimeMs } = await database.ping();

      expect(responseTimeMs).to.be.a('number').and.to.be.at.least(0);
    });

    it('rejects with a fault classified database_unavailable when the server is unreachable', async () => {
      const database = await unreachableDatabase();
      opened.push(database);

      const { error, elapsedMs } = await rejection(database.ping());

      expect(classifyDatabaseFault(error)?.code).to.equal('database_unavailable');
      expect(elapsedMs, 'a hang guard').to.be.below(3_000);
    });
  });
});

import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { Database } from '../../lib/keel/db';
import { testDatabase } from '../support/app';
import { createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';

/** Beyond the work's own statements: begin (with the settings, if any), then commit or rollback. */
const OVERHEAD = 2;

describe('database.unitOfWork on the wire (round trips counted by a proxy)', () => {
  let scratch: ScratchDatabase;
  let proxy: FaultProxy;
  let database: Database;

  const insert = (label: string): Promise<unknown> =>
    database.sequelize.query('INSERT INTO keel_test_events (label) VALUES ($1)', { bind: [label], type: QueryTypes.INSERT });

  /** Counts what one unit of work sends, on a connection the pool already holds. */
  async function countOne(work: () => Promise<unknown>, context: Record<string, string>): Promise<ReturnType<FaultProxy['wireCounts']>> {
    proxy.resetWireCounts();
    await database.unitOfWork(context, work).catch(() => undefined);
    return proxy.wireCounts();
  }

  beforeEach(async () => {
    scratch = await createScratchDatabase();
    await queryOnce(scratch.url, 'CREATE TABLE keel_test_events (id serial PRIMARY KEY, label text NOT NULL)');
    proxy = await startFaultProxy(scratch.url);
    database = testDatabase({ DATABASE_URL: proxy.url, DB_POOL_MAX: '1' });
    // Opens the pool's one connection: its startup and session setup are not what is counted.
    await database.unitOfWork({ user_id: 'warm-up' }, () => insert('warm-up'));
  });

  afterEach(async () => {
    await database.close();
    await proxy.close();
    await scratch.drop();
  });

  it('costs its statements + 2 round trips with settings: begin and the settings in one, then commit', async () => {
    const counts = await countOne(() => insert('one'), { tenant_id: 'acme', user_id: '42' });

    expect(counts.encrypted, 'connections the proxy could not read').to.equal(0);
    expect(counts.statements, 'statements the server completed').to.deep.equal({ 'START TRANSACTION': 1, SELECT: 1, INSERT: 1, COMMIT: 1 });
    expect(counts.roundTrips, 'round trips for one INSERT').to.be.at.most(1 + OVERHEAD);
  });

  it('costs 2 more round trips than its statements when the work runs three of them', async () => {
    const counts = await countOne(
      async () => {
        await insert('a');
        await insert('b');
        await insert('c');
      },
      { user_id: '42' },
    );

    expect(counts.statements.INSERT).to.equal(3);
    expect(counts.roundTrips).to.be.at.most(3 + OVERHEAD);
  });

  it('costs its statements + 2 round trips without settings too, and when the work fails and rolls back', async () => {
    const plain = await countOne(() => insert('plain'), {});
    const failed = await countOne(
      async () => {
        await insert('rolled back');
        throw new Error('the work failed');
      },
      { user_id: '42' },
    );

    expect(plain.statements).to.deep.equal({ 'START TRANSACTION': 1, INSERT: 1, COMMIT: 1 });
    expect(plain.roundTrips).to.be.at.most(1 + OVERHEAD);
    expect(failed.statements).to.deep.equal({ 'START TRANSACTION': 1, SELECT: 1, INSERT: 1, ROLLBACK: 1 });
    expect(failed.roundTrips).to.be.at.most(1 + OVERHEAD);
  });
});

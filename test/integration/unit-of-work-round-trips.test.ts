import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { Database } from '../../lib/keel/db';
import { selectRows } from '../../lib/keel/db/reads';
import { writeRows } from '../../lib/keel/db/writes';
import { testDatabase } from '../support/app';
import { createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';

/** Beyond the work's own statements when the first is Sequelize's: begin (with the settings, if any), then commit or rollback. */
const OVERHEAD = 2;
/** When the first is one keel sends (a model's written-out write or read): the begin travels with it, then commit or rollback. */
const OVERHEAD_WITH_KEELS_FIRST = 1;

describe('database.unitOfWork on the wire (round trips counted by a proxy)', () => {
  let scratch: ScratchDatabase;
  let proxy: FaultProxy;
  let database: Database;

  const insert = (label: string): Promise<unknown> =>
    database.sequelize.query('INSERT INTO keel_test_events (label) VALUES ($1)', { bind: [label], type: QueryTypes.INSERT });

  /** A model's written-out write: sent by keel on the transaction's connection. */
  const write = (label: string): Promise<unknown> =>
    writeRows(database.sequelize, 'INSERT INTO keel_test_events (label) VALUES ($1) RETURNING id', [label]);

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

  it('costs its statements + 1 round trip when the first is one keel sends: the begin and the settings travel with it, bound', async () => {
    const counts = await countOne(() => write('one'), { tenant_id: 'acme', user_id: '42' });

    expect(counts.statements).to.deep.equal({ 'START TRANSACTION': 1, SELECT: 1, INSERT: 1, COMMIT: 1 });
    expect(counts.roundTrips, 'round trips for one INSERT').to.equal(1 + OVERHEAD_WITH_KEELS_FIRST);
  });

  it('sends its later statements as they come: a read then two writes, keel’s and Sequelize’s, cost them + 1', async () => {
    const counts = await countOne(
      async () => {
        await selectRows(database.sequelize, 'SELECT count(*) FROM keel_test_events WHERE label = $1', ['a']);
        await write('a');
        await insert('b');
      },
      { user_id: '42' },
    );

    expect(counts.statements).to.deep.equal({ 'START TRANSACTION': 1, SELECT: 2, INSERT: 2, COMMIT: 1 });
    expect(counts.roundTrips).to.equal(3 + OVERHEAD_WITH_KEELS_FIRST);
  });

  it('rolls back in the next round trip when keel’s first statement fails, and the connection serves the next unit of work', async () => {
    const failed = await countOne(() => writeRows(database.sequelize, 'INSERT INTO keel_test_events (label) VALUES (NULL)', []), {
      user_id: '42',
    });
    const next = await countOne(() => write('after'), { user_id: '42' });

    expect(failed.statements, 'the INSERT fails: no CommandComplete').to.deep.equal({ 'START TRANSACTION': 1, SELECT: 1, ROLLBACK: 1 });
    expect(failed.roundTrips).to.equal(1 + OVERHEAD_WITH_KEELS_FIRST);
    expect(next.statements).to.deep.equal({ 'START TRANSACTION': 1, SELECT: 1, INSERT: 1, COMMIT: 1 });
    const [row] = await queryOnce<{ n: number }>(scratch.url, "SELECT count(*)::int AS n FROM keel_test_events WHERE label = 'after'");
    expect(row?.n).to.equal(1);
  });

  it('sends nothing when the work sends nothing, whether it returns or throws', async () => {
    const empty = await countOne(() => Promise.resolve('nothing'), { user_id: '42' });
    const thrown = await countOne(() => Promise.reject(new Error('before any statement')), { user_id: '42' });

    expect(empty).to.include({ roundTrips: 0 });
    expect(empty.statements).to.deep.equal({});
    expect(thrown).to.include({ roundTrips: 0 });
  });
});

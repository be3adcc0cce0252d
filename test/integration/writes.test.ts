import { expect } from 'chai';
import sinon from 'sinon';
import { DataTypes, Model, UniqueConstraintError } from 'sequelize';
import type { Database } from '../../lib/keel/db';
import { attribute, timestamps, writeRows, writeStatementsOf, type RowOf } from '../../lib/keel/models';
import { testDatabase } from '../support/app';
import { createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';

const ATTRIBUTES = {
  id: attribute<string>({ type: DataTypes.UUID, primaryKey: true, allowNull: false }),
  label: attribute<string>({ type: DataTypes.TEXT, allowNull: false }),
  unitWeight: attribute<string | null>({ type: DataTypes.DECIMAL(12, 2), allowNull: true, field: 'unit_weight' }),
  ...timestamps(),
};
type ToolRow = RowOf<typeof ATTRIBUTES>;

/** A model defined only here, on each test's own Sequelize, its writes written out as a generated model's are. */
class Tool extends Model {}
const WRITES = writeStatementsOf('keel_test_tools', ATTRIBUTES);

const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );

describe('writeRows(model, writeStatementsOf(table, attributes)…)', () => {
  let scratch: ScratchDatabase;
  let database: Database;
  const tools = async (): Promise<{ label: string; unit_weight: string | null }[]> =>
    queryOnce(scratch.url, 'SELECT label, unit_weight FROM keel_test_tools ORDER BY label');

  beforeEach(async () => {
    scratch = await createScratchDatabase();
    await queryOnce(
      scratch.url,
      `CREATE TABLE keel_test_tools (
         id uuid PRIMARY KEY DEFAULT gen_random_uuid(), label text NOT NULL UNIQUE, unit_weight numeric(12,2),
         created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)`,
    );
    database = testDatabase({ DATABASE_URL: scratch.url });
    Tool.init(ATTRIBUTES, { sequelize: database.sequelize, tableName: 'keel_test_tools' });
  });

  afterEach(async () => {
    sinon.restore();
    await database.close();
    await scratch.drop();
  });

  it('inserts in the unit of work and answers the row as stored, named as the attributes, the key and timestamps filled in', async () => {
    const clock = sinon.useFakeTimers({ now: new Date('2026-03-04T05:06:07.089Z'), toFake: ['Date'] });
    const [row] = await database.unitOfWork({ user_id: '42' }, () =>
      writeRows<ToolRow>(Tool, WRITES.insert({ label: 'saw', unitWeight: '7.5', notAnAttribute: 'left out' })),
    );
    clock.restore();

    expect(row).to.deep.include({
      label: 'saw',
      unitWeight: '7.50',
      createdAt: new Date('2026-03-04T05:06:07.089Z'),
      updatedAt: new Date('2026-03-04T05:06:07.089Z'),
    });
    expect(row?.id).to.match(/^[0-9a-f-]{36}$/);
    expect(row).to.not.be.instanceOf(Model);
    expect(await tools()).to.deep.equal([{ label: 'saw', unit_weight: '7.50' }]);
  });

  it('leaves a column not given to its default, and binds every value as data, quotes and SQL included', async () => {
    const label = "it's'; DROP TABLE keel_test_tools; --";
    await database.unitOfWork({}, () => writeRows(Tool, WRITES.insert({ label })));

    expect(await tools()).to.deep.equal([{ label, unit_weight: null }]);
  });

  it('changes only the columns given and updatedAt, answers the changed row, and answers none for an id no row has', async () => {
    const [created] = await database.unitOfWork({}, () => writeRows<ToolRow>(Tool, WRITES.insert({ label: 'saw', unitWeight: '1' })));
    const later = sinon.useFakeTimers({ now: (created?.updatedAt.getTime() ?? 0) + 60_000, toFake: ['Date'] });
    const [changed] = await database.unitOfWork({}, () => writeRows<ToolRow>(Tool, WRITES.update(created?.id ?? '', { unitWeight: null })));
    later.restore();
    const none = await database.unitOfWork({}, () =>
      writeRows<ToolRow>(Tool, WRITES.update('01900000-0000-7000-8000-000000000000', { label: 'x' })),
    );

    expect(changed).to.deep.equal({ ...created, unitWeight: null, updatedAt: new Date((created?.updatedAt.getTime() ?? 0) + 60_000) });
    expect(none).to.deep.equal([]);
  });

  it('deletes the row with the id, and deletes none the second time', async () => {
    const [created] = await database.unitOfWork({}, () => writeRows<ToolRow>(Tool, WRITES.insert({ label: 'saw' })));
    const id = created?.id ?? '';

    expect(await database.unitOfWork({}, () => writeRows(Tool, WRITES.delete(id)))).to.have.length(1);
    expect(await database.unitOfWork({}, () => writeRows(Tool, WRITES.delete(id)))).to.have.length(0);
    expect(await tools()).to.deep.equal([]);
  });

  it('fails a taken unique value with the UniqueConstraintError Sequelize raises, naming the column, and the unit of work rolls back', async () => {
    await database.unitOfWork({}, () => writeRows(Tool, WRITES.insert({ label: 'saw' })));

    const error = await rejection(
      database.unitOfWork({}, async () => {
        await writeRows(Tool, WRITES.insert({ label: 'hammer' }));
        await writeRows(Tool, WRITES.insert({ label: 'saw' }));
      }),
    );

    expect(error).to.be.instanceOf(UniqueConstraintError);
    expect((error as UniqueConstraintError).fields).to.deep.equal({ label: 'saw' });
    expect(await tools(), 'hammer rolled back with it').to.deep.equal([{ label: 'saw', unit_weight: null }]);
  });

  it('refuses a write once the unit of work’s signal has fired, before sending it, and rolls back what it wrote', async () => {
    const controller = new AbortController();
    let second: unknown;
    const error = await rejection(
      database.unitOfWork(
        {},
        async () => {
          await writeRows(Tool, WRITES.insert({ label: 'first' }));
          controller.abort(new Error('the deadline'));
          second = await writeRows(Tool, WRITES.insert({ label: 'second' })).then(
            () => 'sent',
            (reason: unknown) => reason,
          );
        },
        { signal: controller.signal },
      ),
    );

    expect((second as Error).message, 'the second write').to.equal('the deadline');
    expect((error as Error).message).to.equal('the deadline');
    expect(await tools()).to.deep.equal([]);
  });

  it('writes outside a unit of work through sequelize.query, in autocommit', async () => {
    const [row] = await writeRows<ToolRow>(Tool, WRITES.insert({ label: 'saw', unitWeight: '2.25' }));

    expect(row).to.deep.include({ label: 'saw', unitWeight: '2.25' });
    expect(await tools()).to.deep.equal([{ label: 'saw', unit_weight: '2.25' }]);
  });

  it('writes the statements keel shows in its docs: the columns given, the key never, RETURNING every column', () => {
    expect(WRITES.insert({ label: 'saw', id: 'chosen' }).sql).to.equal(
      'INSERT INTO "keel_test_tools" ("label", "created_at", "updated_at") VALUES ($1, $2, $2) RETURNING "id", "label", "unit_weight" AS "unitWeight", "created_at" AS "createdAt", "updated_at" AS "updatedAt"',
    );
    expect(WRITES.update('an id', { unitWeight: '1', createdAt: new Date() }).sql).to.equal(
      'UPDATE "keel_test_tools" SET "unit_weight" = $1, "updated_at" = $2 WHERE "id" = $3 RETURNING "id", "label", "unit_weight" AS "unitWeight", "created_at" AS "createdAt", "updated_at" AS "updatedAt"',
    );
    expect(WRITES.delete('an id')).to.deep.equal({
      sql: 'DELETE FROM "keel_test_tools" WHERE "id" = $1 RETURNING "id"',
      values: ['an id'],
    });
  });
});

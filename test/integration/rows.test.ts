import { expect } from 'chai';
import { DatabaseError, DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes } from 'sequelize';
import { selectRows } from '../../lib/keel/models/rows';
import type { Database } from '../../lib/keel/db';
import { testDatabase } from '../support/app';
import { createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';

/** A model defined only here, on each test's own Sequelize. */
class Gadget extends Model<InferAttributes<Gadget>, InferCreationAttributes<Gadget>> {
  declare id: CreationOptional<number>;
  declare label: string;
  declare made_at: Date;
}

type GadgetRow = InferAttributes<Gadget>;

const BY_LABEL = 'SELECT id, label, made_at FROM keel_test_gadgets WHERE label = $1';

describe('selectRows(model, sql, values)', () => {
  let scratch: ScratchDatabase;
  let database: Database;

  beforeEach(async () => {
    scratch = await createScratchDatabase();
    await queryOnce(
      scratch.url,
      'CREATE TABLE keel_test_gadgets (id serial PRIMARY KEY, label text NOT NULL, made_at timestamptz NOT NULL)',
    );
    await queryOnce(scratch.url, "INSERT INTO keel_test_gadgets (label, made_at) VALUES ('plain', '2026-01-02T03:04:05.678Z')");
    database = testDatabase({ DATABASE_URL: scratch.url });
    Gadget.init(
      { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true }, label: DataTypes.TEXT, made_at: DataTypes.DATE },
      { sequelize: database.sequelize, tableName: 'keel_test_gadgets', timestamps: false },
    );
  });

  afterEach(async () => {
    await database.close();
    await scratch.drop();
  });

  it('returns the rows as plain objects, with timestamps as Dates, never model instances', async () => {
    const rows = await selectRows<GadgetRow>(Gadget, BY_LABEL, ['plain']);

    expect(rows).to.deep.equal([{ id: 1, label: 'plain', made_at: new Date('2026-01-02T03:04:05.678Z') }]);
    expect(rows[0]).not.to.be.instanceOf(Model);
  });

  it('binds each value as it is: quotes and SQL in it are data, never statement text', async () => {
    const label = "it's'; DELETE FROM keel_test_gadgets; --";
    await queryOnce(scratch.url, "INSERT INTO keel_test_gadgets (label, made_at) VALUES ($1, '2026-01-01Z')", [label]);

    const rows = await selectRows<GadgetRow>(Gadget, BY_LABEL, [label]);

    expect(rows.map((row) => row.label)).to.deep.equal([label]);
    const [count] = await queryOnce<{ n: number }>(scratch.url, 'SELECT count(*)::int AS n FROM keel_test_gadgets');
    expect(count?.n, 'rows left').to.equal(2);
  });

  it('runs inside the unit of work that calls it: it sees the row the transaction inserted, and its settings', async () => {
    const seen = await database.unitOfWork({ user_id: '42' }, async () => {
      await Gadget.create({ label: 'uncommitted', made_at: new Date() });
      return selectRows<GadgetRow & { user_id: string }>(
        Gadget,
        "SELECT id, label, made_at, current_setting('app.user_id', true) AS user_id FROM keel_test_gadgets WHERE label = $1",
        ['uncommitted'],
      );
    });

    expect(seen.map((row) => [row.label, row.user_id])).to.deep.equal([['uncommitted', '42']]);
  });

  it('fails with the database error Sequelize raises, which the error handler knows', async () => {
    const error = await selectRows(Gadget, 'SELECT * FROM keel_test_gadgets WHERE id = $1', ['not a number']).then(
      () => undefined,
      (reason: unknown) => reason,
    );

    expect(error).to.be.instanceOf(DatabaseError);
  });

  it('names the model and MODELS when the model was never initialised', () => {
    class Stray extends Model {}

    expect(() => selectRows(Stray, 'SELECT 1', [])).to.throw('Stray is not initialised: add it to MODELS (app/models/index.ts)');
  });
});

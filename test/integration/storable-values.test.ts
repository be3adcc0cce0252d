import { expect } from 'chai';
import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes } from 'sequelize';
import { z } from 'zod';
import { storableBigint, storableDate, storableText, storableTimestamp } from '../../lib/keel/schemas/values';
import type { Database } from '../../lib/keel/db';
import { testDatabase } from '../support/app';
import { createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';

/** A row written as a generated model writes it: Model.create, through keel's Sequelize. */
class Sample extends Model<InferAttributes<Sample>, InferCreationAttributes<Sample>> {
  declare id: CreationOptional<number>;
  declare label: string | null;
  declare day: string | null;
  declare at: Date | null;
  declare count: string | null;
}

interface Stored {
  readonly label: string | null;
  readonly day: string | null;
  readonly at: string | null;
  readonly count: string | null;
}

/**
 * lib/keel/schemas/values.ts: the edges of what its schemas accept are stored and read back exactly as sent,
 * on a real PostgreSQL through keel's Sequelize; what they refuse would not have been.
 */
describe('values PostgreSQL stores as sent (lib/keel/schemas/values.ts)', function () {
  this.timeout(30_000);
  let scratch: ScratchDatabase;
  let database: Database;

  beforeEach(async () => {
    scratch = await createScratchDatabase();
    await queryOnce(
      scratch.url,
      'CREATE TABLE keel_test_samples (id serial PRIMARY KEY, label text, day date, at timestamptz, count bigint)',
    );
    database = testDatabase({ DATABASE_URL: scratch.url });
    Sample.init(
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        label: DataTypes.TEXT,
        day: DataTypes.DATEONLY,
        at: DataTypes.DATE,
        count: DataTypes.BIGINT,
      },
      { sequelize: database.sequelize, tableName: 'keel_test_samples', timestamps: false },
    );
  });

  afterEach(async () => {
    await database.close();
    await scratch.drop();
  });

  /** Creates a row through the model and reads it back as the generated views write it (an instant as ISO 8601). */
  async function roundTrip(values: { label?: string; day?: string; at?: Date; count?: string }): Promise<Stored> {
    const { id } = await Sample.create(values);
    const [row] = await queryOnce<{ label: string | null; day: string | null; at: Date | null; count: string | null }>(
      scratch.url,
      `SELECT label, to_char(day, 'YYYY-MM-DD') AS day, at, count FROM keel_test_samples WHERE id = ${Number(id)}`,
    );
    return { label: row?.label ?? null, day: row?.day ?? null, at: row?.at?.toISOString() ?? null, count: row?.count ?? null };
  }

  const failure = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );
  const refusal = (schema: z.ZodType, value: unknown): string | undefined => schema.safeParse(value).error?.issues[0]?.message;

  it('takes text with any character PostgreSQL can hold, astral ones too, and stores it unchanged', async () => {
    const text = 'tab\there, é, 漢字, 🙂 and \u{10FFFF}';

    expect(storableText().parse(text)).to.equal(text);
    expect((await roundTrip({ label: text })).label).to.equal(text);
  });

  it('refuses a NUL, which the model would store as the two characters \\0 or PostgreSQL refuse', async () => {
    const sent = 'a\u0000b';

    const stored = await failure(roundTrip({ label: sent }).then((row) => row.label));

    expect(stored, 'stored as sent').not.to.equal(sent);
    expect(refusal(storableText(), sent)).to.equal('Must not contain a NUL character or an unpaired surrogate.');
  });

  it('refuses an unpaired surrogate, which would be stored as U+FFFD', async () => {
    const sent = 'lone \uD800 high, lone \uDC00 low';

    const stored = (await roundTrip({ label: sent })).label;

    expect(stored).to.equal('lone \uFFFD high, lone \uFFFD low');
    expect(refusal(storableText(), sent)).to.equal('Must not contain a NUL character or an unpaired surrogate.');
    expect(refusal(storableText(), 'lone \uDC00 low')).to.equal('Must not contain a NUL character or an unpaired surrogate.');
  });

  it("takes bigints over PostgreSQL's whole range, as strings, and stores them unchanged", async () => {
    for (const count of ['-9223372036854775808', '0', '9007199254740993', '9223372036854775807']) {
      expect(storableBigint().parse(count), count).to.equal(count);
      expect((await roundTrip({ count })).count, count).to.equal(count);
    }
  });

  it('refuses a bigint past that range, which PostgreSQL refuses', async () => {
    const error = await failure(roundTrip({ count: '9223372036854775808' }));

    expect(error).to.be.an('error').with.nested.property('parent.code', '22003');
    for (const sent of ['9223372036854775808', '-9223372036854775809', '9999999999999999999']) {
      expect(refusal(storableBigint(), sent), sent).to.equal('Must be from -9223372036854775808 to 9223372036854775807.');
    }
    expect(
      storableBigint()
        .safeParse('1e3')
        .error?.issues.map((issue) => issue.code),
    ).to.deep.equal(['invalid_format']);
  });

  it('takes the dates from 0001-01-01 to 9999-12-31 and stores them unchanged', async () => {
    for (const day of ['0001-01-01', '2024-02-29', '9999-12-31']) {
      expect(storableDate().parse(day), day).to.equal(day);
      expect((await roundTrip({ day })).day, day).to.equal(day);
    }
  });

  it('refuses the ISO year 0000, which PostgreSQL refuses', async () => {
    const error = await failure(roundTrip({ day: '0000-01-01' }));

    expect(error).to.be.an('error').with.nested.property('parent.code', '22008');
    expect(refusal(storableDate(), '0000-01-01')).to.equal('Must be a date from 0001-01-01 on.');
  });

  it('takes the instants of the years 0001 to 9999 in UTC, whatever the offset, and stores them unchanged', async () => {
    const cases = [
      ['0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z'],
      ['0001-01-01T14:00:00+14:00', '0001-01-01T00:00:00.000Z'],
      ['2026-03-29T01:30:00.5+01:00', '2026-03-29T00:30:00.500Z'],
      ['2026-03-29T00:30:00.123000Z', '2026-03-29T00:30:00.123Z'],
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ] as const;
    for (const [sent, instant] of cases) {
      const at = storableTimestamp().parse(sent);

      expect(at.toISOString(), sent).to.equal(instant);
      expect((await roundTrip({ at })).at, sent).to.equal(instant);
    }
  });

  it('refuses an instant finer than the millisecond, whose last digits the Date would drop', async () => {
    const sent = '2026-03-29T00:30:00.123456Z';

    const stored = (await roundTrip({ at: new Date(sent) })).at;

    expect(stored).to.equal('2026-03-29T00:30:00.123Z');
    expect(refusal(storableTimestamp(), sent)).to.equal('Must be precise to the millisecond at most.');
    expect(refusal(storableTimestamp(), '2026-03-29T00:30:00.1230001+02:00')).to.equal('Must be precise to the millisecond at most.');
  });

  it('refuses an instant of the year 0 in UTC, which PostgreSQL refuses as Sequelize writes it, and one after 9999', async () => {
    const yearZero = new Date('0001-01-01T00:00:00+00:01');
    const afterLast = new Date('9999-12-31T23:59:59-00:01');

    const error = await failure(roundTrip({ at: yearZero }));
    const stored = (await roundTrip({ at: afterLast })).at;

    expect(error).to.be.an('error').with.nested.property('parent.code', '22008');
    expect(stored, 'written back in another format').to.equal('+010000-01-01T00:00:59.000Z');
    expect(z.iso.datetime().safeParse(stored).success, 'the response schema takes it').to.equal(false);
    for (const sent of ['0000-06-01T00:00:00Z', '0001-01-01T00:00:00+00:01', '9999-12-31T23:59:59-00:01']) {
      expect(refusal(storableTimestamp(), sent), sent).to.equal('Must be an instant in the years 0001 to 9999 (UTC).');
    }
  });
});

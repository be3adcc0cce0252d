import { expect } from 'chai';
import { DataTypes } from 'sequelize';
import { z } from 'zod';
import { attribute, selectListOf, timestamps, uuidPrimaryKey } from '../../lib/keel/models/attributes';
import { answerFrom } from '../../lib/keel/schemas/bodies';
import { examplesOf, inputsOf, outputsOf } from '../../lib/keel/schemas/fields';
import { storableTimestamp } from '../../lib/keel/schemas/values';
import { requiredExample } from '../support/examples';

// A resource's one list of fields (FIELDS), as a generated schemas file declares it.
const FIELDS = {
  name: { input: z.string().min(1), output: z.string(), example: 'A name' },
  seenAt: { input: storableTimestamp().nullable().optional(), output: z.iso.datetime().nullable(), example: '2026-01-15T09:30:00.000Z' },
};
const Body = z.strictObject({ id: z.uuid(), ...outputsOf(FIELDS), createdAt: z.iso.datetime() });

describe("a resource's fields, declared once", () => {
  it('makes the request shape from each input and the answer shape from each output', () => {
    const Input = z.strictObject(inputsOf(FIELDS));

    expect(Object.keys(Input.shape)).to.deep.equal(['name', 'seenAt']);
    expect(Input.safeParse({ name: '' }).success, 'name: min(1)').to.equal(false);
    expect(Input.parse({ name: 'n', seenAt: '2026-01-15T09:30:00+01:00' }).seenAt).to.be.instanceOf(Date);
    expect(Object.keys(Body.shape)).to.deep.equal(['id', 'name', 'seenAt', 'createdAt']);
    expect(Body.shape.seenAt.safeParse(null).success).to.equal(true);
  });

  it('makes the example from each example, valid for the request and, with the filled fields, for the answer', () => {
    const example = examplesOf(FIELDS);

    expect(example).to.deep.equal({ name: 'A name', seenAt: '2026-01-15T09:30:00.000Z' });
    expect(z.strictObject(inputsOf(FIELDS)).safeParse(example).success).to.equal(true);
    expect(Body.safeParse({ id: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a1b', ...example, createdAt: example.seenAt }).success).to.equal(true);
  });

  it("answers exactly the schema's fields from a row, instants as ISO 8601, a column it does not name left out", () => {
    const answer = answerFrom(Body);
    const row = {
      id: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a1b',
      name: 'n',
      seenAt: null,
      createdAt: new Date(Date.UTC(2026, 0, 15, 9, 30)),
      passwordHash: 'never sent',
    };

    expect(answer(row)).to.deep.equal({ id: row.id, name: 'n', seenAt: null, createdAt: '2026-01-15T09:30:00.000Z' });
    expect(answer({ ...row, seenAt: new Date(Date.UTC(2026, 1, 1)) }).seenAt).to.equal('2026-02-01T00:00:00.000Z');
  });

  it("takes from an example only the fields a new row must be given (a test's fields for one added later)", () => {
    const input = z.strictObject(inputsOf(FIELDS));

    expect(requiredExample({ input, inputExample: examplesOf(FIELDS) })).to.deep.equal({ name: 'A name' });
  });
});

describe("a model's columns, declared once", () => {
  it('selects each column under its attribute name, in the order declared', () => {
    const ATTRIBUTES = {
      id: uuidPrimaryKey(),
      unitPrice: attribute<string>({ type: DataTypes.DECIMAL(12, 2), allowNull: false, field: 'unit_price' }),
      name: attribute<string>({ type: DataTypes.STRING(255), allowNull: false }),
      ...timestamps(),
    };

    expect(selectListOf(ATTRIBUTES)).to.equal(
      '"id", "unit_price" AS "unitPrice", "name", "created_at" AS "createdAt", "updated_at" AS "updatedAt"',
    );
  });
});

import { expect } from 'chai';
import { z } from 'zod';
import { fieldErrors } from '../../lib/keel/http/validation';

/** The field errors a schema gives for a body. */
function errorsFor(schema: z.ZodType, body: unknown): ReturnType<typeof fieldErrors> {
  const result = schema.safeParse(body);
  if (result.success) throw new Error('the body was valid');
  return fieldErrors('body', result.error.issues, body);
}

describe('fieldErrors: what a refinement says', () => {
  const changes = z.strictObject({ name: z.string(), size: z.int() }).partial();

  it("shows a refinement's own message, the schema author's fixed text", () => {
    const schema = changes.refine((body) => Object.keys(body).length > 0, { path: [], message: 'Must change at least one field.' });

    expect(errorsFor(schema, {})).to.deep.equal([{ pointer: '/body', detail: 'Must change at least one field.' }]);
  });

  it('says "Is not valid." for a refinement written without a message, never zod\'s own words', () => {
    const schema = changes.refine((body) => Object.keys(body).length > 0, { path: [] });

    expect(errorsFor(schema, {})).to.deep.equal([{ pointer: '/body', detail: 'Is not valid.' }]);
  });

  it('points a refinement with a path at that field', () => {
    const schema = z
      .strictObject({ from: z.int(), to: z.int() })
      .refine((body) => body.to > body.from, { path: ['to'], message: 'Must be greater than from.' });

    expect(errorsFor(schema, { from: 5, to: 2 })).to.deep.equal([{ pointer: '/body/to', detail: 'Must be greater than from.' }]);
  });
});

describe('fieldErrors: a query parameter given twice', () => {
  const query = z.object({ limit: z.coerce.number().int().min(1), after: z.uuid().optional() });

  it('says it must be given once, not that it must be a number', () => {
    const input = { limit: ['5', '6'] };
    const result = query.safeParse(input);
    if (result.success) throw new Error('the query was valid');

    expect(fieldErrors('query', result.error.issues, input)).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be given once.' }]);
  });

  it('says the same of a parameter with a fixed set of values', () => {
    const sorted = z.object({ sort: z.enum(['name', 'size']) });
    const input = { sort: ['name', 'size'] };
    const result = sorted.safeParse(input);
    if (result.success) throw new Error('the query was valid');

    expect(fieldErrors('query', result.error.issues, input)).to.deep.equal([{ pointer: '/query/sort', detail: 'Must be given once.' }]);
  });

  it('still says what a single wrong value must be', () => {
    const input = { limit: 'many' };
    const result = query.safeParse(input);
    if (result.success) throw new Error('the query was valid');

    expect(fieldErrors('query', result.error.issues, input)).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be a number.' }]);
  });
});

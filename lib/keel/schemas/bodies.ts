import type { z } from 'zod';

/** A value as a row holds it for an answer's value: an instant is a Date where the answer has its ISO 8601 text. */
type Stored<Value> = Value extends string ? string | Date : Value extends string | null ? string | Date | null : Value;

/** A row that holds every field of an answer of this shape (and maybe columns the answer leaves out). */
export type RowFor<Body> = { readonly [Name in keyof Body]: Stored<Body[Name]> };

/**
 * A view's function from a row to the answer its schema describes: exactly the fields the schema names
 * (a column it does not name, such as a hash or an internal flag, is never sent), each instant as
 * ISO 8601. Made once per schema, so an answer costs one pass over its fields.
 */
export function answerFrom<Schema extends z.ZodObject>(schema: Schema): (row: RowFor<z.output<Schema>>) => z.output<Schema> {
  const names = Object.keys(schema.shape);
  return (row) => {
    const values = row as Readonly<Record<string, unknown>>;
    const answer: Record<string, unknown> = {};
    for (const name of names) {
      const value = values[name];
      answer[name] = value instanceof Date ? value.toISOString() : value;
    }
    // Every name of the schema's shape is set, each from the row's value of the type RowFor demands.
    return answer as z.output<Schema>;
  };
}

import type { z } from 'zod';

/**
 * One field of a resource's API: the schema of its value in a request (input), in an answer (output),
 * and the OpenAPI document's example, valid for both. A resource's schemas file lists its fields once,
 * as FIELDS, and makes its bodies from them (docs/data.md#adding-a-field).
 */
export interface FieldSchemas {
  readonly input: z.ZodType;
  readonly output: z.ZodType;
  readonly example: unknown;
}

export type Fields = Readonly<Record<string, FieldSchemas>>;

/** The request's shape: each field's input schema, by name. */
export function inputsOf<F extends Fields>(fields: F): { [Name in keyof F]: F[Name]['input'] } {
  return mapFields(fields, (field) => field.input) as { [Name in keyof F]: F[Name]['input'] };
}

/** The answer's shape: each field's output schema, by name. */
export function outputsOf<F extends Fields>(fields: F): { [Name in keyof F]: F[Name]['output'] } {
  return mapFields(fields, (field) => field.output) as { [Name in keyof F]: F[Name]['output'] };
}

/** The document's example of a request's body: each field's example, by name. */
export function examplesOf<F extends Fields>(fields: F): { -readonly [Name in keyof F]: F[Name]['example'] } {
  return mapFields(fields, (field) => field.example) as { -readonly [Name in keyof F]: F[Name]['example'] };
}

function mapFields(fields: Fields, pick: (field: FieldSchemas) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, pick(field)]));
}

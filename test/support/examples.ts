import type { z } from 'zod';

/** A resource's request schema and its example, as its schemas file exports them (<NAME>_SCHEMAS). */
export interface ExampleSchemas {
  readonly input: z.ZodObject;
  readonly inputExample: object;
}

/**
 * The example's values of the fields a new row must be given. A generated test makes each row's fields
 * from n over these, so a required field added to the resource later (docs/data.md#adding-a-field) takes
 * its example's value, and an optional one added later is left out, as a caller may.
 */
export function requiredExample({ input, inputExample }: ExampleSchemas): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(inputExample).filter(([name]) => {
      const field = input.shape[name];
      return field !== undefined && !field.safeParse(undefined).success;
    }),
  );
}

import { z } from 'zod';
import { examplesOf, inputsOf, outputsOf } from '../../../../../lib/keel/schemas/fields';
import { storableText } from '../../../../../lib/keel/schemas/values';

export const CustomerParams = z.strictObject({ id: z.uuid().meta({ description: 'The customer id.' }) });

// Strict, as the body is: a misspelt parameter (?afer=) is a 400, not the first page again.
export const CustomerListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'At most this many customers.' }),
  after: z.uuid().optional().meta({ description: "The next page: the previous page's next." }),
});

/**
 * A customer's fields, one line each: the schema of its value in a request (input) and in an answer
 * (output), and the OpenAPI document's example, valid for both. The bodies below are made from it, so a
 * field added later is added here as one line (docs/data.md#adding-a-field).
 */
const FIELDS = {
  name: { input: storableText().trim().min(1).max(255), output: z.string(), example: 'An example' },
  email: { input: storableText().nullable().optional(), output: z.string().nullable(), example: 'Some longer text.' },
};

export const CustomerInput = z.strictObject(inputsOf(FIELDS)).meta({ id: 'CustomerInput', description: 'A new customer.' });

export const CustomerChanges = z
  .strictObject(inputsOf(FIELDS))
  .partial()
  .refine((changes) => Object.keys(changes).length > 0, { path: [], message: 'Must change at least one field.' })
  .meta({ id: 'CustomerChanges', description: 'The fields to change: at least one.' });

/** A customer as answered (its view, app/views/customer.ts, sends exactly these fields). */
export const CustomerBody = z
  .strictObject({
    id: z.uuid(),
    ...outputsOf(FIELDS),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Customer', description: 'A customer.' });

export const CustomerList = z
  .strictObject({
    items: z.array(CustomerBody),
    next: z.uuid().nullable().meta({ description: 'Pass as after for the next page; null on the last page.' }),
  })
  .meta({ id: 'CustomerList', description: 'Customers in creation order.' });

// The OpenAPI document's examples (the suite checks each against its schema).
export const CUSTOMER_INPUT_EXAMPLE: z.input<typeof CustomerInput> = examplesOf(FIELDS);

export const CUSTOMER_EXAMPLE: z.output<typeof CustomerBody> = {
  id: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a1b',
  ...examplesOf(FIELDS),
  createdAt: '2026-01-15T09:30:00.000Z',
  updatedAt: '2026-01-15T09:30:00.000Z',
};

/** The customer's schemas, as its controller declares its operations with them (resourceOperations). */
export const CUSTOMER_SCHEMAS = {
  params: CustomerParams,
  listQuery: CustomerListQuery,
  input: CustomerInput,
  changes: CustomerChanges,
  body: CustomerBody,
  list: CustomerList,
  example: CUSTOMER_EXAMPLE,
  inputExample: CUSTOMER_INPUT_EXAMPLE,
};

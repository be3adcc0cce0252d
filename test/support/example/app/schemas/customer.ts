import { z } from 'zod';
import { storableText } from '../../../../../lib/keel/schemas/values';

export const CustomerParams = z.strictObject({ id: z.uuid().meta({ description: 'The customer id.' }) });

// Strict, as the body is: a misspelt parameter (?afer=) is a 400, not the first page again.
export const CustomerListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'At most this many customers.' }),
  after: z.uuid().optional().meta({ description: "The next page: the previous page's next." }),
});

const fields = {
  name: storableText().trim().min(1).max(255),
  email: storableText().nullable().optional(),
};

export const CustomerInput = z.strictObject(fields).meta({ id: 'CustomerInput', description: 'A new customer.' });

export const CustomerChanges = z
  .strictObject(fields)
  .partial()
  .refine((changes) => Object.keys(changes).length > 0, { path: [], message: 'Must change at least one field.' })
  .meta({ id: 'CustomerChanges', description: 'The fields to change: at least one.' });

/** A customer as answered (its view, app/views/customer.ts, builds it). */
export const CustomerBody = z
  .strictObject({
    id: z.uuid(),
    name: z.string(),
    email: z.string().nullable(),
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

// The OpenAPI document's examples: fixed values (the suite checks each against its schema).
export const CUSTOMER_INPUT_EXAMPLE: z.input<typeof CustomerInput> = {
  name: 'An example',
  email: 'Some longer text.',
};

export const CUSTOMER_EXAMPLE: z.output<typeof CustomerBody> = {
  id: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a1b',
  name: 'An example',
  email: 'Some longer text.',
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

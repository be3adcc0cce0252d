import { z } from 'zod';
import { examplesOf, inputsOf, outputsOf } from '../../../../../lib/keel/schemas/fields';
import { storableText } from '../../../../../lib/keel/schemas/values';

export const OrderParams = z.strictObject({ id: z.uuid().meta({ description: 'The order id.' }) });

// Strict, as the body is: a misspelt parameter (?afer=) is a 400, not the first page again.
export const OrderListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'At most this many orders.' }),
  after: z.uuid().optional().meta({ description: "The next page: the previous page's next." }),
});

/**
 * An order's fields, one line each: the schema of its value in a request (input) and in an answer
 * (output), and the OpenAPI document's example, valid for both. The bodies below are made from it, so a
 * field added later is added here as one line (docs/data.md#adding-a-field).
 */
const FIELDS = {
  customerId: {
    input: z.uuid().meta({ description: 'The id of its customer.' }),
    output: z.uuid().meta({ description: 'The id of its customer.' }),
    example: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a2c',
  },
  total: { input: z.string().regex(/^-?[0-9]{1,10}(\.[0-9]{1,2})?$/), output: z.string(), example: '1234.50' },
  note: { input: storableText().nullable().optional(), output: z.string().nullable(), example: 'Some longer text.' },
};

export const OrderInput = z.strictObject(inputsOf(FIELDS)).meta({ id: 'OrderInput', description: 'A new order.' });

export const OrderChanges = z
  .strictObject(inputsOf(FIELDS))
  .partial()
  .refine((changes) => Object.keys(changes).length > 0, { path: [], message: 'Must change at least one field.' })
  .meta({ id: 'OrderChanges', description: 'The fields to change: at least one.' });

/** An order as answered (its view, app/views/order.ts, sends exactly these fields). */
export const OrderBody = z
  .strictObject({
    id: z.uuid(),
    ...outputsOf(FIELDS),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Order', description: 'An order.' });

export const OrderList = z
  .strictObject({
    items: z.array(OrderBody),
    next: z.uuid().nullable().meta({ description: 'Pass as after for the next page; null on the last page.' }),
  })
  .meta({ id: 'OrderList', description: 'Orders in creation order.' });

// The OpenAPI document's examples (the suite checks each against its schema).
export const ORDER_INPUT_EXAMPLE: z.input<typeof OrderInput> = examplesOf(FIELDS);

export const ORDER_EXAMPLE: z.output<typeof OrderBody> = {
  id: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a1b',
  ...examplesOf(FIELDS),
  createdAt: '2026-01-15T09:30:00.000Z',
  updatedAt: '2026-01-15T09:30:00.000Z',
};

/** The order's schemas, as its controller declares its operations with them (resourceOperations). */
export const ORDER_SCHEMAS = {
  params: OrderParams,
  listQuery: OrderListQuery,
  input: OrderInput,
  changes: OrderChanges,
  body: OrderBody,
  list: OrderList,
  example: ORDER_EXAMPLE,
  inputExample: ORDER_INPUT_EXAMPLE,
};

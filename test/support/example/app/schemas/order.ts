import { z } from 'zod';
import { storableText } from '../../../../../lib/keel/schemas/values';

export const OrderParams = z.strictObject({ id: z.uuid().meta({ description: 'The order id.' }) });

// Strict, as the body is: a misspelt parameter (?afer=) is a 400, not the first page again.
export const OrderListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'At most this many orders.' }),
  after: z.uuid().optional().meta({ description: "The next page: the previous page's next." }),
});

const fields = {
  customerId: z.uuid().meta({ description: 'The id of its customer.' }),
  total: z.string().regex(/^-?[0-9]{1,10}(\.[0-9]{1,2})?$/),
  note: storableText().nullable().optional(),
};

export const OrderInput = z.strictObject(fields).meta({ id: 'OrderInput', description: 'A new order.' });

export const OrderChanges = z
  .strictObject(fields)
  .partial()
  .refine((changes) => Object.keys(changes).length > 0, { path: [], message: 'Must change at least one field.' })
  .meta({ id: 'OrderChanges', description: 'The fields to change: at least one.' });

/** A order as answered (its view, app/views/order.ts, builds it). */
export const OrderBody = z
  .strictObject({
    id: z.uuid(),
    customerId: z.uuid().meta({ description: 'The id of its customer.' }),
    total: z.string(),
    note: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Order', description: 'A order.' });

export const OrderList = z
  .strictObject({
    items: z.array(OrderBody),
    next: z.uuid().nullable().meta({ description: 'Pass as after for the next page; null on the last page.' }),
  })
  .meta({ id: 'OrderList', description: 'Orders in creation order.' });

// The OpenAPI document's examples: fixed values (the suite checks each against its schema).
export const ORDER_INPUT_EXAMPLE: z.input<typeof OrderInput> = {
  customerId: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a2c',
  total: '1234.50',
  note: 'Some longer text.',
};

export const ORDER_EXAMPLE: z.output<typeof OrderBody> = {
  id: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a1b',
  customerId: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a2c',
  total: '1234.50',
  note: 'Some longer text.',
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

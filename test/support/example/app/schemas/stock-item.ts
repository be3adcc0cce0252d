import { z } from 'zod';
import { examplesOf, inputsOf, outputsOf } from '../../../../../lib/keel/schemas/fields';
import { storableBigint, storableDate, storableText, storableTimestamp } from '../../../../../lib/keel/schemas/values';

export const StockItemParams = z.strictObject({ id: z.uuid().meta({ description: 'The stock item id.' }) });

// Strict, as the body is: a misspelt parameter (?afer=) is a 400, not the first page again.
export const StockItemListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'At most this many stock items.' }),
  after: z.uuid().optional().meta({ description: "The next page: the previous page's next." }),
});

/**
 * A stock item's fields, one line each: the schema of its value in a request (input) and in an answer
 * (output), and the OpenAPI document's example, valid for both. The bodies below are made from it, so a
 * field added later is added here as one line (docs/data.md#adding-a-field).
 */
const FIELDS = {
  madeOn: { input: storableDate(), output: z.iso.date(), example: '2026-01-15' },
  label: { input: storableText().trim().min(1).max(255), output: z.string(), example: 'An example' },
  weight: { input: z.string().regex(/^-?[0-9]{1,10}(\.[0-9]{1,2})?$/), output: z.string(), example: '1234.50' },
  serial: { input: storableBigint(), output: z.string(), example: '9007199254740993' },
  active: { input: z.boolean(), output: z.boolean(), example: true },
  ref: { input: z.uuid().nullable().optional(), output: z.uuid().nullable(), example: '3f0c9a4e-5b7d-4e21-8c6a-9d2f1b0e7a54' },
  seenAt: { input: storableTimestamp().nullable().optional(), output: z.iso.datetime().nullable(), example: '2026-01-15T09:30:00.000Z' },
  body: { input: storableText(), output: z.string(), example: 'Some longer text.' },
  rank: { input: z.int().min(-2_147_483_648).max(2_147_483_647), output: z.int(), example: 3 },
};

export const StockItemInput = z.strictObject(inputsOf(FIELDS)).meta({ id: 'StockItemInput', description: 'A new stock item.' });

export const StockItemChanges = z
  .strictObject(inputsOf(FIELDS))
  .partial()
  .refine((changes) => Object.keys(changes).length > 0, { path: [], message: 'Must change at least one field.' })
  .meta({ id: 'StockItemChanges', description: 'The fields to change: at least one.' });

/** A stock item as answered (its view, app/views/stock-item.ts, sends exactly these fields). */
export const StockItemBody = z
  .strictObject({
    id: z.uuid(),
    tenantId: z.uuid(),
    ...outputsOf(FIELDS),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'StockItem', description: 'A stock item.' });

export const StockItemList = z
  .strictObject({
    items: z.array(StockItemBody),
    next: z.uuid().nullable().meta({ description: 'Pass as after for the next page; null on the last page.' }),
  })
  .meta({ id: 'StockItemList', description: 'Stock items in creation order.' });

// The OpenAPI document's examples (the suite checks each against its schema).
export const STOCK_ITEM_INPUT_EXAMPLE: z.input<typeof StockItemInput> = examplesOf(FIELDS);

export const STOCK_ITEM_EXAMPLE: z.output<typeof StockItemBody> = {
  id: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a1b',
  tenantId: '6d1b3c5e-2f4a-4b8c-9d0e-1a2b3c4d5e6f',
  ...examplesOf(FIELDS),
  createdAt: '2026-01-15T09:30:00.000Z',
  updatedAt: '2026-01-15T09:30:00.000Z',
};

/** The stock item's schemas, as its controller declares its operations with them (resourceOperations). */
export const STOCK_ITEM_SCHEMAS = {
  params: StockItemParams,
  listQuery: StockItemListQuery,
  input: StockItemInput,
  changes: StockItemChanges,
  body: StockItemBody,
  list: StockItemList,
  example: STOCK_ITEM_EXAMPLE,
  inputExample: STOCK_ITEM_INPUT_EXAMPLE,
};

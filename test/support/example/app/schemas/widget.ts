import { z } from 'zod';
import { examplesOf, inputsOf, outputsOf } from '../../../../../lib/keel/schemas/fields';
import { storableText } from '../../../../../lib/keel/schemas/values';

export const WidgetParams = z.strictObject({ id: z.uuid().meta({ description: 'The widget id.' }) });

// Strict, as the body is: a misspelt parameter (?afer=) is a 400, not the first page again.
export const WidgetListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'At most this many widgets.' }),
  after: z.uuid().optional().meta({ description: "The next page: the previous page's next." }),
});

/**
 * A widget's fields, one line each: the schema of its value in a request (input) and in an answer
 * (output), and the OpenAPI document's example, valid for both. The bodies below are made from it, so a
 * field added later is added here as one line (docs/data.md#adding-a-field).
 */
const FIELDS = {
  name: { input: storableText().trim().min(1).max(255), output: z.string(), example: 'An example' },
  size: { input: z.int().min(-2_147_483_648).max(2_147_483_647), output: z.int(), example: 3 },
  note: { input: storableText().nullable().optional(), output: z.string().nullable(), example: 'Some longer text.' },
};

export const WidgetInput = z.strictObject(inputsOf(FIELDS)).meta({ id: 'WidgetInput', description: 'A new widget.' });

export const WidgetChanges = z
  .strictObject(inputsOf(FIELDS))
  .partial()
  .refine((changes) => Object.keys(changes).length > 0, { path: [], message: 'Must change at least one field.' })
  .meta({ id: 'WidgetChanges', description: 'The fields to change: at least one.' });

/** A widget as answered (its view, app/views/widget.ts, sends exactly these fields). */
export const WidgetBody = z
  .strictObject({
    id: z.uuid(),
    ...outputsOf(FIELDS),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Widget', description: 'A widget.' });

export const WidgetList = z
  .strictObject({
    items: z.array(WidgetBody),
    next: z.uuid().nullable().meta({ description: 'Pass as after for the next page; null on the last page.' }),
  })
  .meta({ id: 'WidgetList', description: 'Widgets in creation order.' });

// The OpenAPI document's examples (the suite checks each against its schema).
export const WIDGET_INPUT_EXAMPLE: z.input<typeof WidgetInput> = examplesOf(FIELDS);

export const WIDGET_EXAMPLE: z.output<typeof WidgetBody> = {
  id: '0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a1b',
  ...examplesOf(FIELDS),
  createdAt: '2026-01-15T09:30:00.000Z',
  updatedAt: '2026-01-15T09:30:00.000Z',
};

/** The widget's schemas, as its controller declares its operations with them (resourceOperations). */
export const WIDGET_SCHEMAS = {
  params: WidgetParams,
  listQuery: WidgetListQuery,
  input: WidgetInput,
  changes: WidgetChanges,
  body: WidgetBody,
  list: WidgetList,
  example: WIDGET_EXAMPLE,
  inputExample: WIDGET_INPUT_EXAMPLE,
};

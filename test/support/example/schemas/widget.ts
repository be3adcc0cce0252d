import { z } from 'zod';

export const WidgetParams = z.strictObject({ id: z.uuid().meta({ description: 'The widget id.' }) });

export const WidgetListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'At most this many widgets.' }),
});

export const WidgetInput = z
  .strictObject({ name: z.string().trim().min(1).max(200).meta({ description: 'What the widget is called.' }) })
  .meta({ id: 'WidgetInput', description: 'A new widget.' });

export const WidgetChanges = WidgetInput.partial().meta({ id: 'WidgetChanges', description: 'The fields to change.' });

export const Widget = z
  .strictObject({
    id: z.uuid(),
    name: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Widget', description: 'A widget.' });

export const WidgetList = z.strictObject({ items: z.array(Widget) }).meta({ id: 'WidgetList', description: 'Widgets, newest first.' });

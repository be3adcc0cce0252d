import type { z } from 'zod';
import { answerFrom } from '../../../../../lib/keel/schemas/bodies';
import type { WidgetRow } from '../models/widget';
import { WidgetBody, type WidgetList } from '../schemas/widget';

/** A widget as answered: the fields WidgetBody names, taken from its row (instants as ISO 8601). */
export const widgetBody: (widget: WidgetRow) => z.output<typeof WidgetBody> = answerFrom(WidgetBody);

export function widgetListBody(widgets: readonly WidgetRow[], next: string | null): z.output<typeof WidgetList> {
  return { items: widgets.map(widgetBody), next };
}

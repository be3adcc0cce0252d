import type { z } from 'zod';
import type { WidgetRow } from '../models/widget';
import type { WidgetBody, WidgetList } from '../schemas/widget';

export function widgetBody(widget: WidgetRow): z.output<typeof WidgetBody> {
  return {
    id: widget.id,
    name: widget.name,
    size: widget.size,
    note: widget.note,
    createdAt: widget.createdAt.toISOString(),
    updatedAt: widget.updatedAt.toISOString(),
  };
}

export function widgetListBody(widgets: readonly WidgetRow[], next: string | null): z.output<typeof WidgetList> {
  return { items: widgets.map(widgetBody), next };
}

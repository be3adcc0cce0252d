import type { z } from 'zod';
import type { Widget } from '../models/widget';
import type { Widget as WidgetSchema, WidgetList } from '../schemas/widget';

export function widgetBody(widget: Widget): z.output<typeof WidgetSchema> {
  return { id: widget.id, name: widget.name, createdAt: widget.createdAt.toISOString(), updatedAt: widget.updatedAt.toISOString() };
}

export function widgetListBody(widgets: readonly Widget[]): z.output<typeof WidgetList> {
  return { items: widgets.map(widgetBody) };
}

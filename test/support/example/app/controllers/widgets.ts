import { Router } from 'express';
import { handle, NotFoundError, resourceOperations, type RouteDeps } from '../../../../../lib/keel/http';
import { Widget } from '../models/widget';
import { WIDGET_SCHEMAS } from '../schemas/widget';
import { widgetBody, widgetListBody } from '../views/widget';

// List, create, get, update and delete, described in the OpenAPI document from the schemas.
const operations = resourceOperations({ plural: 'widgets', noun: 'widget' }, WIDGET_SCHEMAS);

/** What the route table entry serves (app/routes.ts). */
export const WIDGET_OPERATIONS = Object.values(operations);

export function widgetsController({ unitOfWork }: RouteDeps): Router {
  const router = Router();

  // Reads that need no settings: no transaction.
  handle(router, operations.list, async (req, res) => {
    const { limit, after } = req.query;
    // Keyset pagination on the id: one row more than the page tells whether a next page exists.
    const rows = await Widget.findPage(limit + 1, after);
    const page = rows.slice(0, limit);
    res.json(widgetListBody(page, rows.length > limit ? (page.at(-1)?.id ?? null) : null));
  });

  handle(router, operations.get, async (req, res) => {
    const widget = await Widget.findRow(req.params.id);
    if (!widget) throw new NotFoundError();
    res.json(widgetBody(widget));
  });

  // Writes: one transaction carrying the caller's settings (app/request-settings.ts). A unique value
  // already taken is answered 409 by the error handler.
  handle(router, operations.create, async (req, res) => {
    const widget = await unitOfWork(req, () => Widget.createRow(req.body));
    res.status(201).location(`${req.baseUrl}/${widget.id}`).json(widgetBody(widget));
  });

  handle(router, operations.update, async (req, res) => {
    const widget = await unitOfWork(req, () => Widget.changeRow(req.params.id, req.body));
    if (!widget) throw new NotFoundError();
    res.json(widgetBody(widget));
  });

  handle(router, operations.remove, async (req, res) => {
    const deleted = await unitOfWork(req, () => Widget.deleteRow(req.params.id));
    if (!deleted) throw new NotFoundError();
    res.status(204).end();
  });

  return router;
}

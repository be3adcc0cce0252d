import { Router } from 'express';
import { handle, NotFoundError, resourceOperations, type RouteDeps } from '../../../../../lib/keel/http';
import { StockItem } from '../models/stock-item';
import { STOCK_ITEM_SCHEMAS } from '../schemas/stock-item';
import { stockItemBody, stockItemListBody } from '../views/stock-item';

// List, create, get, update and delete, described in the OpenAPI document from the schemas.
const operations = resourceOperations({ plural: 'stock_items', noun: 'stock item' }, STOCK_ITEM_SCHEMAS);

/** What the route table entry serves (app/routes.ts). */
export const STOCK_ITEM_OPERATIONS = Object.values(operations);

export function stockItemsController({ unitOfWork }: RouteDeps): Router {
  const router = Router();

  // Row-level security filters every statement by the caller's tenant: reads run in a unit of work too.
  handle(router, operations.list, async (req, res) => {
    const { limit, after } = req.query;
    // Keyset pagination on the id: one row more than the page tells whether a next page exists.
    const rows = await unitOfWork(req, () => StockItem.findPage(limit + 1, after), { requires: 'tenant_id' });
    const page = rows.slice(0, limit);
    res.json(stockItemListBody(page, rows.length > limit ? (page.at(-1)?.id ?? null) : null));
  });

  handle(router, operations.get, async (req, res) => {
    const stockItem = await unitOfWork(req, () => StockItem.findRow(req.params.id), { requires: 'tenant_id' });
    if (!stockItem) throw new NotFoundError();
    res.json(stockItemBody(stockItem));
  });

  // Writes: one transaction carrying the caller's settings (app/request-settings.ts). A unique value
  // already taken is answered 409 by the error handler.
  handle(router, operations.create, async (req, res) => {
    const stockItem = await unitOfWork(req, () => StockItem.createRow(req.body), { requires: 'tenant_id' });
    res.status(201).location(`${req.baseUrl}/${stockItem.id}`).json(stockItemBody(stockItem));
  });

  handle(router, operations.update, async (req, res) => {
    const stockItem = await unitOfWork(req, () => StockItem.changeRow(req.params.id, req.body), { requires: 'tenant_id' });
    if (!stockItem) throw new NotFoundError();
    res.json(stockItemBody(stockItem));
  });

  handle(router, operations.remove, async (req, res) => {
    const deleted = await unitOfWork(req, () => StockItem.deleteRow(req.params.id), { requires: 'tenant_id' });
    if (!deleted) throw new NotFoundError();
    res.status(204).end();
  });

  return router;
}

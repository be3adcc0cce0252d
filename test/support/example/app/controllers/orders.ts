import { Router } from 'express';
import { handle, nestedListOperation, NotFoundError, resourceOperations, type RouteDeps } from '../../../../../lib/keel/http';
import { Order } from '../models/order';
import { CustomerParams } from '../schemas/customer';
import { ORDER_SCHEMAS } from '../schemas/order';
import { orderBody, orderListBody } from '../views/order';

// List, create, get, update and delete, described in the OpenAPI document from the schemas.
const operations = resourceOperations({ plural: 'orders', noun: 'order' }, ORDER_SCHEMAS);

/** What the route table entry serves (app/routes.ts). */
export const ORDER_OPERATIONS = Object.values(operations);

// GET /customers/{id}/orders: a customer's orders, paged as the list is.
const customerOrders = nestedListOperation({ plural: 'orders', noun: 'order' }, ORDER_SCHEMAS, {
  noun: 'customer',
  params: CustomerParams,
});

/** What the route table's entry at /customers serves of the orders (app/routes.ts). */
export const CUSTOMER_ORDER_OPERATIONS = [customerOrders];

export function ordersController({ unitOfWork }: RouteDeps): Router {
  const router = Router();

  // Reads that need no settings: no transaction.
  handle(router, operations.list, async (req, res) => {
    const { limit, after } = req.query;
    // Keyset pagination on the id: one row more than the page tells whether a next page exists.
    const rows = await Order.findPage(limit + 1, after);
    const page = rows.slice(0, limit);
    res.json(orderListBody(page, rows.length > limit ? (page.at(-1)?.id ?? null) : null));
  });

  handle(router, operations.get, async (req, res) => {
    const order = await Order.findRow(req.params.id);
    if (!order) throw new NotFoundError();
    res.json(orderBody(order));
  });

  // Writes: one transaction carrying the caller's settings (app/request-settings.ts). A unique value
  // already taken, or a customerId no customer has, is refused by the database
  // (its foreign key: nothing is read first) and answered 409 by the error handler.
  handle(router, operations.create, async (req, res) => {
    const order = await unitOfWork(req, () => Order.createRow(req.body));
    res.status(201).location(`${req.baseUrl}/${order.id}`).json(orderBody(order));
  });

  handle(router, operations.update, async (req, res) => {
    const order = await unitOfWork(req, () => Order.changeRow(req.params.id, req.body));
    if (!order) throw new NotFoundError();
    res.json(orderBody(order));
  });

  handle(router, operations.remove, async (req, res) => {
    const deleted = await unitOfWork(req, () => Order.deleteRow(req.params.id));
    if (!deleted) throw new NotFoundError();
    res.status(204).end();
  });

  return router;
}

/** A customer's orders, served at the customers' path (app/routes.ts). */
export function customerOrdersController(): Router {
  const router = Router();

  handle(router, customerOrders, async (req, res) => {
    const { limit, after } = req.query;
    const rows = await Order.findPageOfCustomer(req.params.id, limit + 1, after);
    // No customer has the id.
    if (!rows) throw new NotFoundError();
    const page = rows.slice(0, limit);
    res.json(orderListBody(page, rows.length > limit ? (page.at(-1)?.id ?? null) : null));
  });

  return router;
}

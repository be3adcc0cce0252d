import { Router } from 'express';
import { handle, NotFoundError, resourceOperations, type RouteDeps } from '../../../../../lib/keel/http';
import { Customer } from '../models/customer';
import { CUSTOMER_SCHEMAS } from '../schemas/customer';
import { customerBody, customerListBody } from '../views/customer';

// List, create, get, update and delete, described in the OpenAPI document from the schemas.
const operations = resourceOperations({ plural: 'customers', noun: 'customer' }, CUSTOMER_SCHEMAS);

/** What the route table entry serves (app/routes.ts). */
export const CUSTOMER_OPERATIONS = Object.values(operations);

export function customersController({ unitOfWork }: RouteDeps): Router {
  const router = Router();

  // Reads that need no settings: no transaction.
  handle(router, operations.list, async (req, res) => {
    const { limit, after } = req.query;
    // Keyset pagination on the id: one row more than the page tells whether a next page exists.
    const rows = await Customer.findPage(limit + 1, after);
    const page = rows.slice(0, limit);
    res.json(customerListBody(page, rows.length > limit ? (page.at(-1)?.id ?? null) : null));
  });

  handle(router, operations.get, async (req, res) => {
    const customer = await Customer.findRow(req.params.id);
    if (!customer) throw new NotFoundError();
    res.json(customerBody(customer));
  });

  // Writes: one transaction carrying the caller's settings (app/request-settings.ts). A unique value
  // already taken is answered 409 by the error handler.
  handle(router, operations.create, async (req, res) => {
    const customer = await unitOfWork(req, () => Customer.createRow(req.body));
    res.status(201).location(`${req.baseUrl}/${customer.id}`).json(customerBody(customer));
  });

  handle(router, operations.update, async (req, res) => {
    const customer = await unitOfWork(req, () => Customer.changeRow(req.params.id, req.body));
    if (!customer) throw new NotFoundError();
    res.json(customerBody(customer));
  });

  handle(router, operations.remove, async (req, res) => {
    const deleted = await unitOfWork(req, () => Customer.deleteRow(req.params.id));
    if (!deleted) throw new NotFoundError();
    res.status(204).end();
  });

  return router;
}

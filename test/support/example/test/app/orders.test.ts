import { expect } from 'chai';
import request from 'supertest';
import { CUSTOMER_SCHEMAS } from '../../app/schemas/customer';
import { ORDER_SCHEMAS } from '../../app/schemas/order';
import { requiredExample } from '../support/examples';
import { startResourceApp, type ResourceApp } from '../support/resource-app';

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

/**
 * /orders, as npm run generate:resource wrote it: the app bin/www serves (the route table and
 * MODELS) on a scratch database migrated with every migration, its callers verified against an identity provider the
 * suite starts, as a deployed service verifies its provider's tokens.
 */
describe('/orders', function () {
  this.timeout(60_000);
  let service: ResourceApp;
  let asCaller: Record<string, string>;
  let count = 0;
  const next = (): number => (count += 1);

  /** A valid order's fields, made from n (distinct n give distinct values), with a new customer, created as the caller as (a required field added later takes its example's value). */
  const fields = async (n: number, as = asCaller) => ({
    ...requiredExample(ORDER_SCHEMAS),
    customerId: await createCustomer(as),
    total: `${n}.25`,
    note: `text ${n}`,
  });

  before(async () => {
    service = await startResourceApp();
    asCaller = await service.bearer({ sub: 'alice' });
  });

  after(async () => {
    await service?.close();
  });

  /** Creates an order (with new parents, unless changes name them) and returns its JSON. */
  async function create(changes: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const res = await request(service.app)
      .post('/orders')
      .set(asCaller)
      .send({ ...(await fields(next())), ...changes });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  /** Creates a customer (as the caller as) with the fields one needs, and returns its id. */
  async function createCustomer(as: Record<string, string>): Promise<string> {
    const n = next();
    const res = await request(service.app)
      .post('/customers')
      .set(as)
      .send({ ...requiredExample(CUSTOMER_SCHEMAS), name: `value ${n}` });
    expect(res.status, res.text).to.equal(201);
    return res.body.id;
  }

  describe('POST /orders', () => {
    it('answers 201 with the order and its Location', async () => {
      const body = await fields(next());

      const res = await request(service.app).post('/orders').set(asCaller).send(body);

      expect(res.status).to.equal(201);
      expect(res.body).to.include(body);
      expect(res.headers.location).to.equal(`/orders/${res.body.id}`);
    });

    it('answers 401 with a Bearer challenge to a request without a token, and creates nothing', async () => {
      const before = await request(service.app).get('/orders?limit=100').set(asCaller);

      const res = await request(service.app)
        .post('/orders')
        .send(await fields(next()));
      const after = await request(service.app).get('/orders?limit=100').set(asCaller);

      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer /);
      expect(res.body).to.include({ code: 'unauthorized', status: 401 });
      expect(after.body.items).to.deep.equal(before.body.items);
    });

    it('answers 400 invalid_request naming each invalid and unknown field', async () => {
      const invalid = { ...requiredExample(ORDER_SCHEMAS), customerId: 'not-a-uuid', total: 1.5, note: 42, 'not-a-field': 'red' };

      const res = await request(service.app).post('/orders').set(asCaller).send(invalid);

      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('invalid_request');
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal([
        '/body/customerId',
        '/body/total',
        '/body/note',
        '/body/not-a-field',
      ]);
    });
  });

  describe('GET /orders/{id}', () => {
    it('answers 200 with the order', async () => {
      const created = await create();

      const res = await request(service.app).get(`/orders/${created.id}`).set(asCaller);

      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(created);
    });

    it('answers 404 problem+json for an id no order has', async () => {
      const res = await request(service.app).get(`/orders/${UNKNOWN_ID}`).set(asCaller);

      expect(res.status).to.equal(404);
      expect(res.body).to.include({ code: 'not_found' });
    });

    it('answers 400 for a malformed id', async () => {
      const res = await request(service.app).get('/orders/42').set(asCaller);

      expect(res.status).to.equal(400);
      expect(res.body.errors).to.deep.equal([{ pointer: '/params/id', detail: 'Must be a UUID.' }]);
    });
  });

  describe('PATCH /orders/{id}', () => {
    it('answers 200 with the order changed', async () => {
      const created = await create();
      const change = { customerId: (await fields(next())).customerId };

      const res = await request(service.app).patch(`/orders/${created.id}`).set(asCaller).send(change);
      const read = await request(service.app).get(`/orders/${created.id}`).set(asCaller);

      expect(res.status).to.equal(200);
      expect(res.body).to.include({ ...change, id: created.id });
      expect(read.body, 'as stored').to.deep.equal(res.body);
    });

    it('answers 200 with the values as stored, as GET reads them, however the request spelt them', async () => {
      const created = await create();
      const n = next();
      // Valid values that PostgreSQL writes its own way: 7.5 as 7.50, an upper-case UUID in lower case.
      const change = { total: `${n}.5` };

      const res = await request(service.app).patch(`/orders/${created.id}`).set(asCaller).send(change);
      const read = await request(service.app).get(`/orders/${created.id}`).set(asCaller);

      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(read.body);
      expect(res.body).not.to.deep.equal(created);
    });

    it('answers 404 for an id no order has', async () => {
      const res = await request(service.app)
        .patch(`/orders/${UNKNOWN_ID}`)
        .set(asCaller)
        .send({ customerId: (await fields(next())).customerId });

      expect(res.status).to.equal(404);
    });

    it('answers 400 for a body that changes nothing', async () => {
      const created = await create();

      const res = await request(service.app).patch(`/orders/${created.id}`).set(asCaller).send({});

      expect(res.status).to.equal(400);
      expect(res.body.errors).to.deep.equal([{ pointer: '/body', detail: 'Must change at least one field.' }]);
    });

    it('answers 400 naming an invalid field, and changes nothing', async () => {
      const created = await create();

      const res = await request(service.app).patch(`/orders/${created.id}`).set(asCaller).send({ customerId: 'not-a-uuid' });
      const read = await request(service.app).get(`/orders/${created.id}`).set(asCaller);

      expect(res.status).to.equal(400);
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal(['/body/customerId']);
      expect(read.body).to.deep.equal(created);
    });
  });

  describe('DELETE /orders/{id}', () => {
    it('answers 204, and the order is gone', async () => {
      const created = await create();

      const res = await request(service.app).delete(`/orders/${created.id}`).set(asCaller);
      const gone = await request(service.app).get(`/orders/${created.id}`).set(asCaller);

      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect(gone.status).to.equal(404);
    });

    it('answers 404 for an id no order has', async () => {
      const res = await request(service.app).delete(`/orders/${UNKNOWN_ID}`).set(asCaller);

      expect(res.status).to.equal(404);
    });
  });

  describe('GET /orders', () => {
    it('walks every order in creation order, page by page, following next', async () => {
      const created = [await create(), await create(), await create()];
      const all = await request(service.app).get('/orders?limit=100').set(asCaller);

      const walked: unknown[] = [];
      let next: string | null = null;
      do {
        const res = await request(service.app)
          .get('/orders')
          .set(asCaller)
          .query({ limit: 2, ...(next ? { after: next } : {}) });
        expect(res.status).to.equal(200);
        expect(res.body.items.length).to.be.at.most(2);
        walked.push(...res.body.items);
        next = res.body.next;
      } while (next);

      expect(walked).to.deep.equal(all.body.items);
      expect(all.body.items.slice(-3)).to.deep.equal(created);
      expect(all.body.next).to.equal(null);
    });

    it('answers 400 for a limit above 100 or below 1, an after that is not a uuid, and a parameter it does not know', async () => {
      const above = await request(service.app).get('/orders?limit=101').set(asCaller);
      const below = await request(service.app).get('/orders?limit=0').set(asCaller);
      const notUuid = await request(service.app).get('/orders?after=42').set(asCaller);
      const misspelt = await request(service.app).get(`/orders?afer=${UNKNOWN_ID}`).set(asCaller);

      expect([above.status, below.status, notUuid.status, misspelt.status]).to.deep.equal([400, 400, 400, 400]);
      expect(above.body.errors).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be at most 100.' }]);
      expect(below.body.errors).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be at least 1.' }]);
      expect(notUuid.body.errors).to.deep.equal([{ pointer: '/query/after', detail: 'Must be a UUID.' }]);
      expect(misspelt.body.errors).to.deep.equal([{ pointer: '/query/afer', detail: 'Is not a known field.' }]);
    });
  });

  describe('GET /customers/{id}/orders', () => {
    it('walks the customer’s orders in creation order, page by page, and no other’s', async () => {
      const customerId = await createCustomer(asCaller);
      const theirs = [await create({ customerId }), await create({ customerId }), await create({ customerId })];
      await create();

      const walked: unknown[] = [];
      let next: string | null = null;
      do {
        const res = await request(service.app)
          .get(`/customers/${customerId}/orders`)
          .set(asCaller)
          .query({ limit: 2, ...(next ? { after: next } : {}) });
        expect(res.status).to.equal(200);
        expect(res.body.items.length).to.be.at.most(2);
        walked.push(...res.body.items);
        next = res.body.next;
      } while (next);

      expect(walked).to.deep.equal(theirs);
    });

    it('answers 200 with an empty page for a customer without orders', async () => {
      const customerId = await createCustomer(asCaller);

      const res = await request(service.app).get(`/customers/${customerId}/orders`).set(asCaller);

      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ items: [], next: null });
    });

    it('answers 404 problem+json for an id no customer has', async () => {
      const res = await request(service.app).get(`/customers/${UNKNOWN_ID}/orders`).set(asCaller);

      expect(res.status).to.equal(404);
      expect(res.body).to.include({ code: 'not_found' });
    });

    it('answers 400 for a malformed id, a limit above 100, and a parameter it does not know', async () => {
      const customerId = await createCustomer(asCaller);

      const malformed = await request(service.app).get('/customers/42/orders').set(asCaller);
      const above = await request(service.app).get(`/customers/${customerId}/orders?limit=101`).set(asCaller);
      const misspelt = await request(service.app).get(`/customers/${customerId}/orders?afer=${UNKNOWN_ID}`).set(asCaller);

      expect([malformed.status, above.status, misspelt.status]).to.deep.equal([400, 400, 400]);
      expect(malformed.body.errors).to.deep.equal([{ pointer: '/params/id', detail: 'Must be a UUID.' }]);
      expect(above.body.errors).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be at most 100.' }]);
      expect(misspelt.body.errors).to.deep.equal([{ pointer: '/query/afer', detail: 'Is not a known field.' }]);
    });
  });

  describe('customerId: the customer an order refers to', () => {
    it('answers 409 foreign_key_violation to a new order whose customerId no customer has', async () => {
      const res = await request(service.app)
        .post('/orders')
        .set(asCaller)
        .send({ ...(await fields(next())), customerId: UNKNOWN_ID });

      expect(res.status).to.equal(409);
      expect(res.headers['content-type']).to.equal('application/problem+json; charset=utf-8');
      expect(res.body).to.include({ code: 'foreign_key_violation', status: 409 });
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal(['/body/customerId']);
    });

    it('answers 409 foreign_key_violation to a change to a customerId no customer has, and changes nothing', async () => {
      const created = await create();

      const res = await request(service.app).patch(`/orders/${created.id}`).set(asCaller).send({ customerId: UNKNOWN_ID });
      const read = await request(service.app).get(`/orders/${created.id}`).set(asCaller);

      expect(res.status).to.equal(409);
      expect(res.body).to.include({ code: 'foreign_key_violation', status: 409 });
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal(['/body/customerId']);
      expect(read.body).to.deep.equal(created);
    });

    it('answers 409 foreign_key_violation to deleting a customer that has orders, and deletes neither (ON DELETE RESTRICT)', async () => {
      const created = await create();

      const res = await request(service.app).delete(`/customers/${created.customerId}`).set(asCaller);
      const still = await request(service.app).get(`/customers/${created.customerId}`).set(asCaller);
      const read = await request(service.app).get(`/orders/${created.id}`).set(asCaller);

      expect(res.status).to.equal(409);
      expect(res.body).to.include({ code: 'foreign_key_violation', status: 409 });
      expect(still.status).to.equal(200);
      expect(read.body).to.deep.equal(created);
    });
  });
});

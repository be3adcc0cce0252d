import { expect } from 'chai';
import request from 'supertest';
import { CUSTOMER_SCHEMAS } from '../../app/schemas/customer';
import { requiredExample } from '../support/examples';
import { startResourceApp, type ResourceApp } from '../support/resource-app';

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

/** A valid customer's fields, made from n: distinct n give distinct values (a required field added later takes its example's). */
const fields = (n: number) => ({
  ...requiredExample(CUSTOMER_SCHEMAS),
  name: `value ${n}`,
  email: `text ${n}`,
});

/**
 * /customers, as npm run generate:resource wrote it: the app bin/www serves (the route table and
 * MODELS) on a scratch database migrated with every migration, its callers verified against an identity provider the
 * suite starts, as a deployed service verifies its provider's tokens.
 */
describe('/customers', function () {
  this.timeout(60_000);
  let service: ResourceApp;
  let asCaller: Record<string, string>;
  let count = 0;
  const next = (): number => (count += 1);

  before(async () => {
    service = await startResourceApp();
    asCaller = await service.bearer({ sub: 'alice' });
  });

  after(async () => {
    await service?.close();
  });

  /** Creates a customer and returns its JSON. */
  async function create(): Promise<Record<string, unknown>> {
    const res = await request(service.app).post('/customers').set(asCaller).send(fields(next()));
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  describe('POST /customers', () => {
    it('answers 201 with the customer and its Location', async () => {
      const body = fields(next());

      const res = await request(service.app).post('/customers').set(asCaller).send(body);

      expect(res.status).to.equal(201);
      expect(res.body).to.include(body);
      expect(res.headers.location).to.equal(`/customers/${res.body.id}`);
    });

    it('answers 401 with a Bearer challenge to a request without a token, and creates nothing', async () => {
      const before = await request(service.app).get('/customers?limit=100').set(asCaller);

      const res = await request(service.app).post('/customers').send(fields(next()));
      const after = await request(service.app).get('/customers?limit=100').set(asCaller);

      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer /);
      expect(res.body).to.include({ code: 'unauthorized', status: 401 });
      expect(after.body.items).to.deep.equal(before.body.items);
    });

    it('answers 400 invalid_request naming each invalid and unknown field', async () => {
      const invalid = { ...requiredExample(CUSTOMER_SCHEMAS), name: 42, email: 42, 'not-a-field': 'red' };

      const res = await request(service.app).post('/customers').set(asCaller).send(invalid);

      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('invalid_request');
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal([
        '/body/name',
        '/body/email',
        '/body/not-a-field',
      ]);
    });

    it('answers 409 unique_violation for a name another customer has', async () => {
      const taken = await create();

      const res = await request(service.app)
        .post('/customers')
        .set(asCaller)
        .send({ ...fields(next()), name: taken.name });

      expect(res.status).to.equal(409);
      expect(res.headers['content-type']).to.equal('application/problem+json; charset=utf-8');
      expect(res.body).to.include({ code: 'unique_violation', status: 409 });
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal(['/body/name']);
    });
  });

  describe('GET /customers/{id}', () => {
    it('answers 200 with the customer', async () => {
      const created = await create();

      const res = await request(service.app).get(`/customers/${created.id}`).set(asCaller);

      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(created);
    });

    it('answers 404 problem+json for an id no customer has', async () => {
      const res = await request(service.app).get(`/customers/${UNKNOWN_ID}`).set(asCaller);

      expect(res.status).to.equal(404);
      expect(res.body).to.include({ code: 'not_found' });
    });

    it('answers 400 for a malformed id', async () => {
      const res = await request(service.app).get('/customers/42').set(asCaller);

      expect(res.status).to.equal(400);
      expect(res.body.errors).to.deep.equal([{ pointer: '/params/id', detail: 'Must be a UUID.' }]);
    });
  });

  describe('PATCH /customers/{id}', () => {
    it('answers 200 with the customer changed', async () => {
      const created = await create();
      const change = { name: fields(next()).name };

      const res = await request(service.app).patch(`/customers/${created.id}`).set(asCaller).send(change);
      const read = await request(service.app).get(`/customers/${created.id}`).set(asCaller);

      expect(res.status).to.equal(200);
      expect(res.body).to.include({ ...change, id: created.id });
      expect(read.body, 'as stored').to.deep.equal(res.body);
    });

    it('answers 404 for an id no customer has', async () => {
      const res = await request(service.app)
        .patch(`/customers/${UNKNOWN_ID}`)
        .set(asCaller)
        .send({ name: fields(next()).name });

      expect(res.status).to.equal(404);
    });

    it('answers 400 for a body that changes nothing', async () => {
      const created = await create();

      const res = await request(service.app).patch(`/customers/${created.id}`).set(asCaller).send({});

      expect(res.status).to.equal(400);
      expect(res.body.errors).to.deep.equal([{ pointer: '/body', detail: 'Must change at least one field.' }]);
    });

    it('answers 400 naming an invalid field, and changes nothing', async () => {
      const created = await create();

      const res = await request(service.app).patch(`/customers/${created.id}`).set(asCaller).send({ name: 42 });
      const read = await request(service.app).get(`/customers/${created.id}`).set(asCaller);

      expect(res.status).to.equal(400);
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal(['/body/name']);
      expect(read.body).to.deep.equal(created);
    });

    it('answers 409 unique_violation for a name another customer has, and changes nothing', async () => {
      const taken = await create();
      const created = await create();

      const res = await request(service.app).patch(`/customers/${created.id}`).set(asCaller).send({ name: taken.name });
      const read = await request(service.app).get(`/customers/${created.id}`).set(asCaller);

      expect(res.status).to.equal(409);
      expect(res.body).to.include({ code: 'unique_violation', status: 409 });
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal(['/body/name']);
      expect(read.body).to.deep.equal(created);
    });
  });

  describe('DELETE /customers/{id}', () => {
    it('answers 204, and the customer is gone', async () => {
      const created = await create();

      const res = await request(service.app).delete(`/customers/${created.id}`).set(asCaller);
      const gone = await request(service.app).get(`/customers/${created.id}`).set(asCaller);

      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect(gone.status).to.equal(404);
    });

    it('answers 404 for an id no customer has', async () => {
      const res = await request(service.app).delete(`/customers/${UNKNOWN_ID}`).set(asCaller);

      expect(res.status).to.equal(404);
    });
  });

  describe('GET /customers', () => {
    it('walks every customer in creation order, page by page, following next', async () => {
      const created = [await create(), await create(), await create()];
      const all = await request(service.app).get('/customers?limit=100').set(asCaller);

      const walked: unknown[] = [];
      let next: string | null = null;
      do {
        const res = await request(service.app)
          .get('/customers')
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
      const above = await request(service.app).get('/customers?limit=101').set(asCaller);
      const below = await request(service.app).get('/customers?limit=0').set(asCaller);
      const notUuid = await request(service.app).get('/customers?after=42').set(asCaller);
      const misspelt = await request(service.app).get(`/customers?afer=${UNKNOWN_ID}`).set(asCaller);

      expect([above.status, below.status, notUuid.status, misspelt.status]).to.deep.equal([400, 400, 400, 400]);
      expect(above.body.errors).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be at most 100.' }]);
      expect(below.body.errors).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be at least 1.' }]);
      expect(notUuid.body.errors).to.deep.equal([{ pointer: '/query/after', detail: 'Must be a UUID.' }]);
      expect(misspelt.body.errors).to.deep.equal([{ pointer: '/query/afer', detail: 'Is not a known field.' }]);
    });
  });
});

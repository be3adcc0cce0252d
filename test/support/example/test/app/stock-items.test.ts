import { expect } from 'chai';
import request from 'supertest';
import { STOCK_ITEM_SCHEMAS } from '../../app/schemas/stock-item';
import { requiredExample } from '../support/examples';
import { startResourceApp, type ResourceApp } from '../support/resource-app';

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';
const TENANT_A = '0190a000-0000-7000-8000-00000000000a';
const TENANT_B = '0190b000-0000-7000-8000-00000000000b';

/** A valid stock item's fields, made from n: distinct n give distinct values (a required field added later takes its example's). */
const fields = (n: number) => ({
  ...requiredExample(STOCK_ITEM_SCHEMAS),
  madeOn: new Date(Date.UTC(2026, 0, 1 + n)).toISOString().slice(0, 10),
  label: `value ${n}`,
  weight: `${n}.25`,
  serial: `${9_000_000_000 + n}`,
  active: n % 2 === 0,
  ref: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  seenAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  body: `text ${n}`,
  rank: n,
});

/**
 * /stock_items, as npm run generate:resource wrote it: the app bin/www serves (the route table and
 * MODELS) on a scratch database migrated with every migration, connected as an ordinary role (a superuser
 * would bypass row-level security), its callers verified against an identity provider the
 * suite starts, as a deployed service verifies its provider's tokens.
 */
describe('/stock_items', function () {
  this.timeout(60_000);
  let service: ResourceApp;
  let asTenantA: Record<string, string>;
  let asTenantB: Record<string, string>;
  let count = 0;
  const next = (): number => (count += 1);

  before(async () => {
    service = await startResourceApp({ ordinaryRole: true });
    asTenantA = await service.bearer({ sub: 'alice', tenant: TENANT_A });
    asTenantB = await service.bearer({ sub: 'bob', tenant: TENANT_B });
  });

  after(async () => {
    await service?.close();
  });

  /** Creates a stock item and returns its JSON. */
  async function create(): Promise<Record<string, unknown>> {
    const res = await request(service.app).post('/stock_items').set(asTenantA).send(fields(next()));
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  describe('POST /stock_items', () => {
    it('answers 201 with the stock item and its Location', async () => {
      const body = fields(next());

      const res = await request(service.app).post('/stock_items').set(asTenantA).send(body);

      expect(res.status).to.equal(201);
      expect(res.body).to.include(body);
      expect(res.headers.location).to.equal(`/stock_items/${res.body.id}`);
    });

    it('answers 401 with a Bearer challenge to a request without a token, and creates nothing', async () => {
      const before = await request(service.app).get('/stock_items?limit=100').set(asTenantA);

      const res = await request(service.app).post('/stock_items').send(fields(next()));
      const after = await request(service.app).get('/stock_items?limit=100').set(asTenantA);

      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer /);
      expect(res.body).to.include({ code: 'unauthorized', status: 401 });
      expect(after.body.items).to.deep.equal(before.body.items);
    });

    it('answers 400 invalid_request naming each invalid and unknown field', async () => {
      const invalid = {
        ...requiredExample(STOCK_ITEM_SCHEMAS),
        madeOn: 'tomorrow',
        label: 42,
        weight: 1.5,
        serial: 42,
        active: 'yes',
        ref: 'not-a-uuid',
        seenAt: 'yesterday',
        body: 42,
        rank: 'many',
        'not-a-field': 'red',
      };

      const res = await request(service.app).post('/stock_items').set(asTenantA).send(invalid);

      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('invalid_request');
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal([
        '/body/madeOn',
        '/body/label',
        '/body/weight',
        '/body/serial',
        '/body/active',
        '/body/ref',
        '/body/seenAt',
        '/body/body',
        '/body/rank',
        '/body/not-a-field',
      ]);
    });

    it('answers 409 unique_violation for a label another stock item has', async () => {
      const taken = await create();

      const res = await request(service.app)
        .post('/stock_items')
        .set(asTenantA)
        .send({ ...fields(next()), label: taken.label });

      expect(res.status).to.equal(409);
      expect(res.headers['content-type']).to.equal('application/problem+json; charset=utf-8');
      expect(res.body).to.include({ code: 'unique_violation', status: 409 });
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal(['/body/label']);
    });
  });

  describe('GET /stock_items/{id}', () => {
    it('answers 200 with the stock item', async () => {
      const created = await create();

      const res = await request(service.app).get(`/stock_items/${created.id}`).set(asTenantA);

      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(created);
    });

    it('answers 404 problem+json for an id no stock item has', async () => {
      const res = await request(service.app).get(`/stock_items/${UNKNOWN_ID}`).set(asTenantA);

      expect(res.status).to.equal(404);
      expect(res.body).to.include({ code: 'not_found' });
    });

    it('answers 400 for a malformed id', async () => {
      const res = await request(service.app).get('/stock_items/42').set(asTenantA);

      expect(res.status).to.equal(400);
      expect(res.body.errors).to.deep.equal([{ pointer: '/params/id', detail: 'Must be a UUID.' }]);
    });
  });

  describe('PATCH /stock_items/{id}', () => {
    it('answers 200 with the stock item changed', async () => {
      const created = await create();
      const change = { madeOn: fields(next()).madeOn };

      const res = await request(service.app).patch(`/stock_items/${created.id}`).set(asTenantA).send(change);
      const read = await request(service.app).get(`/stock_items/${created.id}`).set(asTenantA);

      expect(res.status).to.equal(200);
      expect(res.body).to.include({ ...change, id: created.id });
      expect(read.body, 'as stored').to.deep.equal(res.body);
    });

    it('answers 200 with the values as stored, as GET reads them, however the request spelt them', async () => {
      const created = await create();
      const n = next();
      // Valid values that PostgreSQL writes its own way: 7.5 as 7.50, an upper-case UUID in lower case.
      const change = {
        weight: `${n}.5`,
        serial: `00${9_000_000_000 + n}`,
        ref: `ABCDEF00-0000-4000-8000-${String(n).padStart(12, '0')}`,
        seenAt: new Date(Date.UTC(2026, 0, 2, 0, 0, n)).toISOString().replace('.000Z', '+00:00'),
      };

      const res = await request(service.app).patch(`/stock_items/${created.id}`).set(asTenantA).send(change);
      const read = await request(service.app).get(`/stock_items/${created.id}`).set(asTenantA);

      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(read.body);
      expect(res.body).not.to.deep.equal(created);
    });

    it('answers 404 for an id no stock item has', async () => {
      const res = await request(service.app)
        .patch(`/stock_items/${UNKNOWN_ID}`)
        .set(asTenantA)
        .send({ madeOn: fields(next()).madeOn });

      expect(res.status).to.equal(404);
    });

    it('answers 400 for a body that changes nothing', async () => {
      const created = await create();

      const res = await request(service.app).patch(`/stock_items/${created.id}`).set(asTenantA).send({});

      expect(res.status).to.equal(400);
      expect(res.body.errors).to.deep.equal([{ pointer: '/body', detail: 'Must change at least one field.' }]);
    });

    it('answers 400 naming an invalid field, and changes nothing', async () => {
      const created = await create();

      const res = await request(service.app).patch(`/stock_items/${created.id}`).set(asTenantA).send({ madeOn: 'tomorrow' });
      const read = await request(service.app).get(`/stock_items/${created.id}`).set(asTenantA);

      expect(res.status).to.equal(400);
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal(['/body/madeOn']);
      expect(read.body).to.deep.equal(created);
    });

    it('answers 409 unique_violation for a label another stock item has, and changes nothing', async () => {
      const taken = await create();
      const created = await create();

      const res = await request(service.app).patch(`/stock_items/${created.id}`).set(asTenantA).send({ label: taken.label });
      const read = await request(service.app).get(`/stock_items/${created.id}`).set(asTenantA);

      expect(res.status).to.equal(409);
      expect(res.body).to.include({ code: 'unique_violation', status: 409 });
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal(['/body/label']);
      expect(read.body).to.deep.equal(created);
    });
  });

  describe('DELETE /stock_items/{id}', () => {
    it('answers 204, and the stock item is gone', async () => {
      const created = await create();

      const res = await request(service.app).delete(`/stock_items/${created.id}`).set(asTenantA);
      const gone = await request(service.app).get(`/stock_items/${created.id}`).set(asTenantA);

      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect(gone.status).to.equal(404);
    });

    it('answers 404 for an id no stock item has', async () => {
      const res = await request(service.app).delete(`/stock_items/${UNKNOWN_ID}`).set(asTenantA);

      expect(res.status).to.equal(404);
    });
  });

  describe('GET /stock_items', () => {
    it('walks every stock item in creation order, page by page, following next', async () => {
      const created = [await create(), await create(), await create()];
      const all = await request(service.app).get('/stock_items?limit=100').set(asTenantA);

      const walked: unknown[] = [];
      let next: string | null = null;
      do {
        const res = await request(service.app)
          .get('/stock_items')
          .set(asTenantA)
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
      const above = await request(service.app).get('/stock_items?limit=101').set(asTenantA);
      const below = await request(service.app).get('/stock_items?limit=0').set(asTenantA);
      const notUuid = await request(service.app).get('/stock_items?after=42').set(asTenantA);
      const misspelt = await request(service.app).get(`/stock_items?afer=${UNKNOWN_ID}`).set(asTenantA);

      expect([above.status, below.status, notUuid.status, misspelt.status]).to.deep.equal([400, 400, 400, 400]);
      expect(above.body.errors).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be at most 100.' }]);
      expect(below.body.errors).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be at least 1.' }]);
      expect(notUuid.body.errors).to.deep.equal([{ pointer: '/query/after', detail: 'Must be a UUID.' }]);
      expect(misspelt.body.errors).to.deep.equal([{ pointer: '/query/afer', detail: 'Is not a known field.' }]);
    });
  });

  describe('row-level security (one tenant never sees or changes another tenant’s stock items)', () => {
    it('lists, reads, changes and deletes only the rows of the caller’s tenant', async () => {
      const theirs = await create();

      const list = await request(service.app).get('/stock_items?limit=100').set(asTenantB);
      const read = await request(service.app).get(`/stock_items/${theirs.id}`).set(asTenantB);
      const change = await request(service.app)
        .patch(`/stock_items/${theirs.id}`)
        .set(asTenantB)
        .send({ madeOn: fields(next()).madeOn });
      const remove = await request(service.app).delete(`/stock_items/${theirs.id}`).set(asTenantB);
      const still = await request(service.app).get(`/stock_items/${theirs.id}`).set(asTenantA);

      expect(list.body.items.map((item: { id: string }) => item.id)).not.to.include(theirs.id);
      expect([read.status, change.status, remove.status]).to.deep.equal([404, 404, 404]);
      expect(still.body).to.deep.equal(theirs);
    });

    it('writes the tenant the caller’s token names', async () => {
      const mine = await create();

      expect(mine.tenantId).to.equal(TENANT_A);
    });

    it('answers 403 identity_incomplete to a caller whose token names no tenant, for reads and writes', async () => {
      const asNobody = await service.bearer({ sub: 'no-tenant' });

      const list = await request(service.app).get('/stock_items').set(asNobody);
      const write = await request(service.app).post('/stock_items').set(asNobody).send(fields(next()));

      expect([list.status, write.status]).to.deep.equal([403, 403]);
      expect(write.headers['content-type']).to.equal('application/problem+json; charset=utf-8');
      expect(write.body).to.include({ code: 'identity_incomplete', status: 403 });
    });

    it('answers 403 invalid_identity to a caller whose tenant is not a UUID', async () => {
      const asMalformed = await service.bearer({ sub: 'alice', tenant: 'acme' });

      const res = await request(service.app).post('/stock_items').set(asMalformed).send(fields(next()));

      expect(res.status).to.equal(403);
      expect(res.body).to.include({ code: 'invalid_identity', status: 403 });
    });

    it('lets two tenants use the same label', async () => {
      const taken = await create();

      const res = await request(service.app)
        .post('/stock_items')
        .set(asTenantB)
        .send({ ...fields(next()), label: taken.label });

      expect(res.status).to.equal(201);
    });
  });
});

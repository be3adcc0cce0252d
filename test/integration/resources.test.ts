import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { keelContract, type ObservedResponse } from '../support/contract';
import { queryOnce } from '../support/database';
import { ROUTES as TEST_ROUTES } from '../support/example/app/routes';
import { startExampleApp, type ExampleApp } from '../support/example-app';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';
const TENANT = '0190a000-0000-7000-8000-00000000000a';

/** A stock item as the example's --tenant resource takes it. */
const STOCK_ITEM = { madeOn: '2026-01-15', label: 'cog', weight: '1.50', serial: '42', active: true, body: 'b', rank: 1 };

/**
 * What keel does for a resource, seen through the generator's own (test/support/example, npm run
 * generate:example); what the generated tests already prove of it (test/support/example/test/) is not repeated.
 */
describe('resources built on keel: the example’s /widgets and /stock_items (test/support/example)', function () {
  this.timeout(60_000);
  let example: ExampleApp;
  let caller: Record<string, string>;

  before(async () => {
    example = await startExampleApp();
    caller = await example.bearer({ sub: 'alice' });
  });

  after(async () => {
    await example?.close();
  });

  const create = (name: string) => request(example.app).post('/widgets').set(caller).send({ name, size: 3 });

  describe('POST /widgets', () => {
    it('answers 201 with the widget, its id a UUIDv7 the database gave', async () => {
      const res = await create('sprocket');

      expect(res.status).to.equal(201);
      expect(res.headers['content-type']).to.equal('application/json; charset=utf-8');
      expect(res.body).to.have.keys(['id', 'name', 'size', 'note', 'createdAt', 'updatedAt']);
      expect(res.body.id).to.match(UUID_V7);
      expect(res.body.name).to.equal('sprocket');
    });

    it('writes in one transaction carrying the settings of the request hook, visible to SQL as current_setting', async () => {
      const tenantCaller = await example.bearer({ sub: 'alice', tenant: TENANT });
      await example.takeStatements();

      const res = await request(example.app).post('/stock_items').set(tenantCaller).send(STOCK_ITEM);

      const statements = await example.takeStatements();
      const [row] = await queryOnce<{ tenant_id: string }>(example.scratch.url, 'SELECT tenant_id FROM stock_items WHERE id = $1', [
        res.body.id,
      ]);
      expect(res.status, res.text).to.equal(201);
      expect(row, 'the row, its tenant_id the default read from the transaction settings').to.deep.equal({ tenant_id: TENANT });
      expect(statements, 'the begin and the settings with the INSERT in one round trip, then the commit').to.have.length(2);
      expect(statements[0]).to.match(
        /^START TRANSACTION; SELECT set_config\(\$1, \$2, true\), set_config\(\$3, \$4, true\); INSERT INTO "stock_items"/,
      );
      expect(statements.join('\n'), 'values bound, never in the text').to.not.include(TENANT);
      expect(statements.at(-1)).to.match(/^COMMIT/);
    });

    it('answers 400 invalid_request with one error per invalid field, pointing at each, refusing unknown fields', async () => {
      const res = await request(example.app).post('/widgets').set(caller).send({ name: '', size: 1, colour: 'ultraviolet' });

      expect(res.status).to.equal(400);
      expect(res.headers['content-type']).to.equal('application/problem+json; charset=utf-8');
      expect(res.body).to.include({ code: 'invalid_request', status: 400 });
      expect(res.body.errors).to.deep.equal([
        { pointer: '/body/name', detail: 'Must not be empty.' },
        { pointer: '/body/colour', detail: 'Is not a known field.' },
      ]);
      expect(res.text).not.to.include('ultraviolet');
    });

    it('names a missing field as required, and a value of the wrong type without repeating it', async () => {
      const missing = await request(example.app).post('/widgets').set(caller).send({ size: 1 });
      const wrongType = await request(example.app).post('/widgets').set(caller).send({ name: 31337, size: 1 });

      expect(missing.body.errors).to.deep.equal([{ pointer: '/body/name', detail: 'Is required.' }]);
      expect(wrongType.body.errors).to.deep.equal([{ pointer: '/body/name', detail: 'Must be a string.' }]);
      expect(wrongType.text).not.to.include('31337');
    });

    it('never names back an unknown field whose name is not a plain field name', async () => {
      const res = await request(example.app).post('/widgets').set(caller).send({ name: 'ok', size: 1, '<script>alert(1)</script>': true });

      expect(res.status).to.equal(400);
      expect(res.body.errors).to.deep.equal([{ pointer: '/body', detail: 'Has fields that are not known.' }]);
      expect(res.text).not.to.include('script');
    });

    it('writes nothing when the body is invalid', async () => {
      await example.takeStatements();

      await request(example.app).post('/widgets').set(caller).send({ name: '', size: 1 });

      expect(await example.takeStatements()).to.deep.equal([]);
    });

    const NOT_JSON = [
      ['a form', 'application/x-www-form-urlencoded', 'name=sprocket'],
      ['text', 'text/plain', '{"name":"sprocket"}'],
      ['JSON under a media type of its own', 'application/merge-patch+json', '{"name":"sprocket"}'],
    ] as const;
    for (const [what, contentType, body] of NOT_JSON) {
      it(`answers 415 unsupported_media_type to ${what} (${contentType}), closing the connection and writing nothing`, async () => {
        await example.takeStatements();

        const res = await request(example.app).post('/widgets').set(caller).set('Content-Type', contentType).send(body);

        expect(res.status).to.equal(415);
        expect(res.headers['content-type']).to.equal('application/problem+json; charset=utf-8');
        expect(res.body.code).to.equal('unsupported_media_type');
        expect(res.headers.connection, 'the unread body cannot be followed by another request').to.equal('close');
        expect(await example.takeStatements()).to.deep.equal([]);
      });
    }

    it('answers 415 to a body that names no Content-Type at all', async () => {
      const server = http.createServer(example.app).listen(0, '127.0.0.1');
      try {
        await once(server, 'listening');
        const { port } = server.address() as AddressInfo;
        const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.request(
            { host: '127.0.0.1', port, method: 'POST', path: '/widgets', headers: { ...caller, 'Content-Length': '19' } },
            (res) => {
              let body = '';
              res.on('data', (chunk: Buffer) => (body += chunk.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            },
          );
          req.on('error', reject);
          req.end('{"name":"sprocket"}');
        });

        expect(answer.status).to.equal(415);
        expect(JSON.parse(answer.body)).to.include({ code: 'unsupported_media_type' });
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('reads a JSON body whose Content-Type carries a charset', async () => {
      const res = await request(example.app)
        .post('/widgets')
        .set(caller)
        .set('Content-Type', 'application/json; charset=utf-8')
        .send('{"name":"cam","size":1}');

      expect(res.status).to.equal(201);
      expect(res.body.name).to.equal('cam');
    });
  });

  describe('GET /widgets/{id}', () => {
    it('answers 200 with the widget the POST created, read without a transaction', async () => {
      const created = await create('flange');
      await example.takeStatements();

      const res = await request(example.app).get(`/widgets/${created.body.id}`).set(caller);

      const statements = await example.takeStatements();
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(created.body);
      expect(statements).to.have.lengthOf(1);
      expect(statements[0]).to.match(/^SELECT/);
    });

    it('answers 400 for a malformed UUID before any SQL runs (never PostgreSQL’s invalid input syntax as a 500)', async () => {
      await example.takeStatements();

      const res = await request(example.app).get("/widgets/42'%20OR%201=1").set(caller);

      expect(res.status).to.equal(400);
      expect(res.body.errors).to.deep.equal([{ pointer: '/params/id', detail: 'Must be a UUID.' }]);
      expect(res.text).not.to.include('OR 1=1');
      expect(await example.takeStatements()).to.deep.equal([]);
    });

    it('answers other methods with 405 and Allow: GET, HEAD, PATCH, DELETE', async () => {
      const res = await request(example.app).put(`/widgets/${UNKNOWN_ID}`).set(caller).send({ name: 'ghost', size: 1 });

      expect(res.status).to.equal(405);
      expect(res.headers.allow).to.equal('GET, HEAD, PATCH, DELETE');
    });
  });

  describe('PATCH /widgets/{id}', () => {
    it('lists the invalid params and body fields together', async () => {
      const res = await request(example.app)
        .patch('/widgets/nope')
        .set(caller)
        .send({ name: 'x'.repeat(256), id: 'forged' });

      expect(res.status).to.equal(400);
      expect(res.body.errors).to.deep.equal([
        { pointer: '/params/id', detail: 'Must be a UUID.' },
        { pointer: '/body/name', detail: 'Must be at most 255 characters long.' },
        { pointer: '/body/id', detail: 'Is not a known field.' },
      ]);
    });

    it('answers 415 to a merge-patch body, changing nothing: the operation takes application/json', async () => {
      const created = await create('pinion');

      const res = await request(example.app)
        .patch(`/widgets/${created.body.id}`)
        .set(caller)
        .set('Content-Type', 'application/merge-patch+json')
        .send('{"name":"rack"}');

      expect(res.status).to.equal(415);
      expect(res.body.code).to.equal('unsupported_media_type');
      const read = await request(example.app).get(`/widgets/${created.body.id}`).set(caller);
      expect(read.body.name).to.equal('pinion');
    });
  });

  describe('GET /widgets', () => {
    it('answers 400 with a pointer into the query for a limit out of range or not a number', async () => {
      const zero = await request(example.app).get('/widgets?limit=0').set(caller);
      const word = await request(example.app).get('/widgets?limit=many').set(caller);

      expect(zero.body.errors).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be at least 1.' }]);
      expect(word.body.errors).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be a number.' }]);
    });
  });

  describe('its part of /openapi.json', () => {
    it('documents the path template, its uuid parameter, the strict request body and the responses', async () => {
      const res = await request(example.app).get('/openapi.json');

      const item = res.body.paths['/widgets/{id}'];
      expect(Object.keys(item).filter((key) => !key.startsWith('x-'))).to.have.members(['get', 'head', 'patch', 'delete']);
      expect(item.get.parameters).to.deep.equal([
        {
          in: 'path',
          name: 'id',
          required: true,
          description: 'The widget id.',
          schema: { type: 'string', format: 'uuid', description: 'The widget id.' },
        },
      ]);
      expect(item.get.security).to.deep.equal([{ bearerAuth: [] }]);
      expect(res.body.paths['/widgets'].post.requestBody.content['application/json'].schema).to.deep.equal({
        $ref: '#/components/schemas/WidgetInput',
      });
      expect(res.body.components.schemas.WidgetInput.additionalProperties).to.equal(false);
      expect(Object.keys(item.patch.responses)).to.include.members(['200', '400', '404']);
    });
  });

  describe('the contract check on it', () => {
    it('reports a widget body with a field the document does not name, on a path template', async () => {
      const created = await create('bolt');
      const observed: ObservedResponse = {
        method: 'GET',
        path: `/widgets/${created.body.id}`,
        status: 200,
        headers: created.headers as Record<string, string>,
        body: JSON.stringify({ ...created.body, secretSauce: true }),
      };

      const violations = keelContract(TEST_ROUTES).violations(observed);

      expect(violations).to.have.lengthOf(1);
      expect(violations[0]).to.include(`GET /widgets/${created.body.id} → 200`).and.to.include('additional properties ("secretSauce")');
    });

    it('reports a 2xx answer to a request body the document refuses', async () => {
      const created = await create('nut');
      const observed: ObservedResponse = {
        method: 'POST',
        path: '/widgets',
        status: 201,
        headers: created.headers as Record<string, string>,
        body: created.text,
        requestBody: { name: 'nut', size: 3, colour: 'red' },
      };

      const violations = keelContract(TEST_ROUTES).violations(observed);

      expect(violations).to.have.lengthOf(1);
      expect(violations[0]).to.include('accepted a request body the document refuses');
    });
  });
});

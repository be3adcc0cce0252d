// The integration tests (test/integration/<plural>.test.ts): every endpoint through the real app on a real PostgreSQL.
import type { ResourceSpec } from './spec';
import { typeOf } from './types';

export function testSource(spec: ResourceSpec): string {
  const { plural, noun, nouns } = spec;
  const path = `/${plural}`;
  const [first] = spec.fields;
  if (!first) throw new Error('a resource has at least one field');
  const unique = spec.fields.find((field) => field.unique);
  // Every request authenticates as a real caller would: a bearer token from the suite's identity provider.
  const as = spec.tenant ? '.set(asTenantA)' : '.set(asCaller)';
  const samples = spec.fields.map((field) => `  ${field.property}: ${typeOf(field).sample},`).join('\n');
  const invalid = spec.fields.map((field) => `${field.property}: ${typeOf(field).invalid}`).join(', ');
  const pointers = spec.fields.map((field) => `'/body/${field.property}'`).join(', ');

  const conflict = unique
    ? `
    it('answers 409 unique_violation for a ${unique.property} another ${noun} has', async () => {
      const taken = await create();

      const res = await request(service.app).post('${path}')${as}.send({ ...fields(next()), ${unique.property}: taken.${unique.property} });

      expect(res.status).to.equal(409);
      expect(res.headers['content-type']).to.equal('application/problem+json; charset=utf-8');
      expect(res.body).to.include({ code: 'unique_violation', status: 409 });
    });
`
    : '';

  const patchConflict = unique
    ? `
    it('answers 409 unique_violation for a ${unique.property} another ${noun} has, and changes nothing', async () => {
      const taken = await create();
      const created = await create();

      const res = await request(service.app).patch(\`${path}/\${created.id}\`)${as}.send({ ${unique.property}: taken.${unique.property} });
      const read = await request(service.app).get(\`${path}/\${created.id}\`)${as};

      expect(res.status).to.equal(409);
      expect(res.body).to.include({ code: 'unique_violation', status: 409 });
      expect(read.body).to.deep.equal(created);
    });
`
    : '';

  const respelt = spec.fields.flatMap((field) => {
    const value = typeOf(field).respelt;
    return value ? [`${field.property}: ${value}`] : [];
  });
  const patchAsStored =
    respelt.length > 0
      ? `
    it('answers 200 with the values as stored, as GET reads them, however the request spelt them', async () => {
      const created = await create();
      const n = next();
      // Valid values that PostgreSQL writes its own way: 7.5 as 7.50, an upper-case UUID in lower case.
      const change = { ${respelt.join(', ')} };

      const res = await request(service.app).patch(\`${path}/\${created.id}\`)${as}.send(change);
      const read = await request(service.app).get(\`${path}/\${created.id}\`)${as};

      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(read.body);
      expect(res.body).not.to.deep.equal(created);
    });
`
      : '';

  const tenantBlock = spec.tenant
    ? `
  describe('row-level security (one tenant never sees or changes another tenant’s ${nouns})', () => {
    it('lists, reads, changes and deletes only the rows of the caller’s tenant', async () => {
      const theirs = await create();

      const list = await request(service.app).get('${path}?limit=100').set(asTenantB);
      const read = await request(service.app).get(\`${path}/\${theirs.id}\`).set(asTenantB);
      const change = await request(service.app).patch(\`${path}/\${theirs.id}\`).set(asTenantB).send({ ${first.property}: fields(next()).${first.property} });
      const remove = await request(service.app).delete(\`${path}/\${theirs.id}\`).set(asTenantB);
      const still = await request(service.app).get(\`${path}/\${theirs.id}\`).set(asTenantA);

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

      const list = await request(service.app).get('${path}').set(asNobody);
      const write = await request(service.app).post('${path}').set(asNobody).send(fields(next()));

      expect([list.status, write.status]).to.deep.equal([403, 403]);
      expect(write.headers['content-type']).to.equal('application/problem+json; charset=utf-8');
      expect(write.body).to.include({ code: 'identity_incomplete', status: 403 });
    });

    it('answers 403 invalid_identity to a caller whose tenant is not a UUID', async () => {
      const asMalformed = await service.bearer({ sub: 'alice', tenant: 'acme' });

      const res = await request(service.app).post('${path}').set(asMalformed).send(fields(next()));

      expect(res.status).to.equal(403);
      expect(res.body).to.include({ code: 'invalid_identity', status: 403 });
    });
${
  unique
    ? `
    it('lets two tenants use the same ${unique.property}', async () => {
      const taken = await create();

      const res = await request(service.app).post('${path}').set(asTenantB).send({ ...fields(next()), ${unique.property}: taken.${unique.property} });

      expect(res.status).to.equal(201);
    });
`
    : ''
}  });
`
    : '';

  return `import { expect } from 'chai';
import request from 'supertest';
import { startResourceApp, type ResourceApp } from '../support/resource-app';

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';
${
  spec.tenant
    ? `const TENANT_A = '0190a000-0000-7000-8000-00000000000a';
const TENANT_B = '0190b000-0000-7000-8000-00000000000b';
`
    : ''
}
/** A valid ${noun}'s fields, made from n: distinct n give distinct values. */
const fields = (n: number) => ({
${samples}
});

/**
 * ${path}, as npm run generate:resource wrote it: the app bin/www serves (the route table and
 * MODELS) on a scratch database migrated with every migration${spec.tenant ? ', connected as an ordinary role (a superuser\n * would bypass row-level security)' : ''}, its callers verified against an identity provider the
 * suite starts, as a deployed service verifies its provider's tokens.
 */
describe('${path}', function () {
  this.timeout(60_000);
  let service: ResourceApp;
${spec.tenant ? '  let asTenantA: Record<string, string>;\n  let asTenantB: Record<string, string>;' : '  let asCaller: Record<string, string>;'}
  let count = 0;
  const next = (): number => (count += 1);

  before(async () => {
    service = await startResourceApp(${spec.tenant ? '{ ordinaryRole: true }' : ''});
${
  spec.tenant
    ? "    asTenantA = await service.bearer({ sub: 'alice', tenant: TENANT_A });\n    asTenantB = await service.bearer({ sub: 'bob', tenant: TENANT_B });"
    : "    asCaller = await service.bearer({ sub: 'alice' });"
}
  });

  after(async () => {
    await service?.close();
  });

  /** Creates a ${noun} and returns its JSON. */
  async function create(): Promise<Record<string, unknown>> {
    const res = await request(service.app).post('${path}')${as}.send(fields(next()));
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  describe('POST ${path}', () => {
    it('answers 201 with the ${noun} and its Location', async () => {
      const body = fields(next());

      const res = await request(service.app).post('${path}')${as}.send(body);

      expect(res.status).to.equal(201);
      expect(res.body).to.include(body);
      expect(res.headers.location).to.equal(\`${path}/\${res.body.id}\`);
    });

    it('answers 401 with a Bearer challenge to a request without a token, and creates nothing', async () => {
      const before = await request(service.app).get('${path}?limit=100')${as};

      const res = await request(service.app).post('${path}').send(fields(next()));
      const after = await request(service.app).get('${path}?limit=100')${as};

      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer /);
      expect(res.body).to.include({ code: 'unauthorized', status: 401 });
      expect(after.body.items).to.deep.equal(before.body.items);
    });

    it('answers 400 invalid_request naming each invalid and unknown field', async () => {
      const invalid = { ${invalid}, colour: 'red' };

      const res = await request(service.app).post('${path}')${as}.send(invalid);

      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('invalid_request');
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal([${pointers}, '/body/colour']);
    });
${conflict}  });

  describe('GET ${path}/{id}', () => {
    it('answers 200 with the ${noun}', async () => {
      const created = await create();

      const res = await request(service.app).get(\`${path}/\${created.id}\`)${as};

      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(created);
    });

    it('answers 404 problem+json for an id no ${noun} has', async () => {
      const res = await request(service.app).get(\`${path}/\${UNKNOWN_ID}\`)${as};

      expect(res.status).to.equal(404);
      expect(res.body).to.include({ code: 'not_found' });
    });

    it('answers 400 for a malformed id', async () => {
      const res = await request(service.app).get('${path}/42')${as};

      expect(res.status).to.equal(400);
      expect(res.body.errors).to.deep.equal([{ pointer: '/params/id', detail: 'Must be a UUID.' }]);
    });
  });

  describe('PATCH ${path}/{id}', () => {
    it('answers 200 with the ${noun} changed', async () => {
      const created = await create();
      const change = { ${first.property}: fields(next()).${first.property} };

      const res = await request(service.app).patch(\`${path}/\${created.id}\`)${as}.send(change);
      const read = await request(service.app).get(\`${path}/\${created.id}\`)${as};

      expect(res.status).to.equal(200);
      expect(res.body).to.include({ ...change, id: created.id });
      expect(read.body, 'as stored').to.deep.equal(res.body);
    });
${patchAsStored}
    it('answers 404 for an id no ${noun} has', async () => {
      const res = await request(service.app).patch(\`${path}/\${UNKNOWN_ID}\`)${as}.send({ ${first.property}: fields(next()).${first.property} });

      expect(res.status).to.equal(404);
    });

    it('answers 400 for a body that changes nothing', async () => {
      const created = await create();

      const res = await request(service.app).patch(\`${path}/\${created.id}\`)${as}.send({});

      expect(res.status).to.equal(400);
      expect(res.body.errors).to.deep.equal([{ pointer: '/body', detail: 'Must change at least one field.' }]);
    });

    it('answers 400 naming an invalid field, and changes nothing', async () => {
      const created = await create();

      const res = await request(service.app).patch(\`${path}/\${created.id}\`)${as}.send({ ${first.property}: ${typeOf(first).invalid} });
      const read = await request(service.app).get(\`${path}/\${created.id}\`)${as};

      expect(res.status).to.equal(400);
      expect(res.body.errors.map((error: { pointer: string }) => error.pointer)).to.deep.equal(['/body/${first.property}']);
      expect(read.body).to.deep.equal(created);
    });
${patchConflict}  });

  describe('DELETE ${path}/{id}', () => {
    it('answers 204, and the ${noun} is gone', async () => {
      const created = await create();

      const res = await request(service.app).delete(\`${path}/\${created.id}\`)${as};
      const gone = await request(service.app).get(\`${path}/\${created.id}\`)${as};

      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect(gone.status).to.equal(404);
    });

    it('answers 404 for an id no ${noun} has', async () => {
      const res = await request(service.app).delete(\`${path}/\${UNKNOWN_ID}\`)${as};

      expect(res.status).to.equal(404);
    });
  });

  describe('GET ${path}', () => {
    it('walks every ${noun} in creation order, page by page, following next', async () => {
      const created = [await create(), await create(), await create()];
      const all = await request(service.app).get('${path}?limit=100')${as};

      const walked: unknown[] = [];
      let next: string | null = null;
      do {
        const res = await request(service.app)
          .get('${path}')${as}
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
      const above = await request(service.app).get('${path}?limit=101')${as};
      const below = await request(service.app).get('${path}?limit=0')${as};
      const notUuid = await request(service.app).get('${path}?after=42')${as};
      const misspelt = await request(service.app).get(\`${path}?afer=\${UNKNOWN_ID}\`)${as};

      expect([above.status, below.status, notUuid.status, misspelt.status]).to.deep.equal([400, 400, 400, 400]);
      expect(above.body.errors).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be at most 100.' }]);
      expect(below.body.errors).to.deep.equal([{ pointer: '/query/limit', detail: 'Must be at least 1.' }]);
      expect(notUuid.body.errors).to.deep.equal([{ pointer: '/query/after', detail: 'Must be a UUID.' }]);
      expect(misspelt.body.errors).to.deep.equal([{ pointer: '/query/afer', detail: 'Is not a known field.' }]);
    });
  });
${tenantBlock}});
`;
}

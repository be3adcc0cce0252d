// keel's HTTP room first (lib/keel/http): its app.ts loads express-async-errors exactly as the service does.
import '../../lib/keel/http';
import { expect } from 'chai';
import express, { type Express } from 'express';
import { DatabaseError } from 'sequelize';
import request from 'supertest';
import { errorHandler } from '../../lib/keel/http/middleware/error-handler';
import { requestId } from '../../lib/keel/http/middleware/request-id';
import { CONSTRAINT_VIOLATIONS } from '../../lib/keel/db/faults';
import { createLogger } from '../../config/logger';

const VALUE = 'sentinel-value-5e1f';

const violation = (code: string, fields: Record<string, string>) =>
  new DatabaseError(Object.assign(new Error(`violation ${VALUE}`), { code, severity: 'ERROR', sql: `INSERT '${VALUE}'`, ...fields }));

/** POST and DELETE /thing throw the error after the JSON body parser, behind the real error handler. */
function throwing(error: Error): Express {
  const logger = createLogger({ env: 'test', logLevel: 'silent' });
  const app = express();
  app.use(requestId(logger), express.json());
  app.all('/thing', () => {
    throw error;
  });
  app.use(errorHandler(logger));
  return app;
}

const UNIQUE = violation('23505', { detail: `Key (tenant_id, login_name)=(t-1, ${VALUE}) already exists.`, table: 'accounts' });

describe('the fields of an integrity violation, in its 409 body', () => {
  it('points at the body field of each column PostgreSQL names, by its camelCase JSON name', async () => {
    const response = await request(throwing(UNIQUE)).post('/thing').send({ loginName: VALUE, nickname: 'n' });

    expect(response.status).to.equal(409);
    expect(response.body.errors).to.deep.equal([{ pointer: '/body/loginName', detail: CONSTRAINT_VIOLATIONS.unique_violation.field }]);
    expect(response.text).to.not.include(VALUE);
  });

  it('points at no column the body does not carry: its value came from the path, the caller or the server', async () => {
    const response = await request(throwing(UNIQUE)).post('/thing').send({ nickname: 'n' });

    expect(response.body).to.include({ code: 'unique_violation' });
    expect(response.body).to.not.have.property('errors');
  });

  it('points at nothing for a delete of a row still referred to: it has no body', async () => {
    const error = violation('23001', { detail: 'Key (id)=(1) is referenced from table "keepers".' });

    const response = await request(throwing(error)).delete('/thing');

    expect(response.body).to.include({ status: 409, code: 'foreign_key_violation' });
    expect(response.body).to.not.have.property('errors');
  });

  it('points at the column a not-null violation left out of the body, but not on a request without one', async () => {
    const error = violation('23502', { column: 'customer_id', table: 'orders' });
    const expected = [{ pointer: '/body/customerId', detail: CONSTRAINT_VIOLATIONS.not_null_violation.field }];

    expect((await request(throwing(error)).post('/thing').send({ note: 'x' })).body.errors).to.deep.equal(expected);
    expect((await request(throwing(error)).post('/thing')).body).to.not.have.property('errors');
  });

  it('points at nothing when the body is not an object, or the violation names no column', async () => {
    const check = violation('23514', { constraint: 'accounts_age_check', detail: `Failing row contains (${VALUE}).` });

    expect(
      (
        await request(throwing(UNIQUE))
          .post('/thing')
          .send([{ loginName: VALUE }])
      ).body,
    ).to.not.have.property('errors');
    expect((await request(throwing(check)).post('/thing').send({ age: -1 })).body).to.not.have.property('errors');
  });
});

// keel's HTTP room first (lib/keel/http): its app.ts loads express-async-errors exactly as the service does.
import '../../lib/keel/http';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express, { type ErrorRequestHandler, type Express } from 'express';
import {
  ConnectionAcquireTimeoutError,
  ConnectionRefusedError,
  DatabaseError,
  ExclusionConstraintError,
  ForeignKeyConstraintError,
  UniqueConstraintError,
} from 'sequelize';
import sinon from 'sinon';
import request from 'supertest';
import { HttpError, MethodNotAllowedError, NotFoundError, ServiceUnavailableError } from '../../lib/keel/http/errors';
import { errorHandler } from '../../lib/keel/http/middleware/error-handler';
import { REQUEST_ID_HEADER, requestId } from '../../lib/keel/http/middleware/request-id';
import type { Problem } from '../../lib/keel/http/problem-view';
import { createLogger, type Logger } from '../../config/logger';
import { classifyDatabaseFault } from '../../lib/keel/db/errors';
import { captureLog, type LogCapture } from '../support/log-capture';

const SENTINEL = 'SENTINEL_cafebabe_9317';
const PROBLEM_FIELDS = ['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId'];

interface Harness {
  readonly app: Express;
  readonly logger: Logger;
  readonly log: LogCapture;
}

/** requestId → the given routes → errorHandler (→ after), with a JSON logger writing to a capture stream. */
function harness(routes: (app: Express) => void, after?: ErrorRequestHandler): Harness {
  const log = captureLog();
  const logger = createLogger({ env: 'production', logLevel: 'debug' }, log.stream);
  const app = express();
  // Keeps Express's own final handler from printing to stderr when the error handler delegates.
  app.set('env', 'test');
  app.use(requestId(logger));
  routes(app);
  app.use(errorHandler(logger));
  if (after) app.use(after);
  return { app, logger, log };
}

/** An app whose GET /fail throws the given value synchronously. */
function throwing(value: unknown): Harness {
  return harness((app) => {
    app.get('/fail', () => {
      throw value;
    });
  });
}

const statementTimeout = (): DatabaseError =>
  new DatabaseError(
    Object.assign(new Error(`canceling statement due to statement timeout ${SENTINEL}`), { code: '57014', sql: 'SELECT 1' }),
  );

function errorEntries(entries: Record<string, unknown>[]): Record<string, unknown>[] {
  return entries.filter((entry) => entry.level === 'error');
}

describe('errorHandler', () => {
  describe('with an HttpError', () => {
    it('answers a NotFoundError with 404 and code not_found', async () => {
      const { app } = throwing(new NotFoundError());

      const response = await request(app).get('/fail');

      expect(response.status).to.equal(404);
      expect(response.body).to.include({ status: 404, code: 'not_found' });
    });

    it('answers a MethodNotAllowedError with 405 and an Allow header listing the methods', async () => {
      const { app } = throwing(new MethodNotAllowedError(['GET', 'HEAD']));

      const response = await request(app).get('/fail');

      expect(response.status).to.equal(405);
      expect(response.headers.allow).to.equal('GET, HEAD');
      expect(response.body).to.include({ status: 405, code: 'method_not_allowed' });
    });

    it('answers a ServiceUnavailableError with 503, its code and a Retry-After header', async () => {
      const { app } = throwing(new ServiceUnavailableError('shutting_down', 'The service is restarting.'));

      const response = await request(app).get('/fail');

      expect(response.status).to.equal(503);
      expect(response.headers['retry-after']).to.equal('1');
      expect(response.body).to.include({ status: 503, code: 'shutting_down', detail: 'The service is restarting.' });
    });

    it('keeps the status, code, detail and headers of any HttpError', async () => {
      const { app } = throwing(new HttpError(409, 'version_conflict', 'The resource changed meanwhile.', { 'X-Current-Version': '7' }));

      const response = await request(app).get('/fail');

      expect(response.status).to.equal(409);
      expect(response.headers['x-current-version']).to.equal('7');
      expect(response.body).to.include({ status: 409, code: 'version_conflict', detail: 'The resource changed meanwhile.' });
    });

    it('logs a 4xx HttpError below error level', async () => {
      const { app, log } = throwing(new NotFoundError());

      await request(app).get('/fail');

      const entries = await log.entries();
      expect(entries.map((entry) => entry.level)).to.include('debug');
      expect(errorEntries(entries)).to.have.lengthOf(0);
    });
  });

  describe('with an async handler', () => {
    it('reaches the error middleware when the handler rejects (express-async-errors is loaded)', async () => {
      const { app } = harness((routes) => {
        routes.get('/fail', async () => {
          await new Promise((resolve) => setImmediate(resolve));
          throw new Error(SENTINEL);
        });
      });

      const response = await request(app).get('/fail').timeout(5_000);

      expect(response.status).to.equal(500);
      expect(response.body).to.include({ code: 'internal_error' });
    });

    it('keeps the status of an HttpError thrown after an await', async () => {
      const { app } = harness((routes) => {
        routes.get('/fail', async () => {
          await Promise.resolve();
          throw new MethodNotAllowedError(['POST']);
        });
      });

      const response = await request(app).get('/fail').timeout(5_000);

      expect(response.status).to.equal(405);
      expect(response.headers.allow).to.equal('POST');
    });
  });

  describe('with an unexpected error', () => {
    it('answers 500 internal_error with a body that holds neither the message nor a stack', async () => {
      const error = new Error(`${SENTINEL} at the bottom of /srv/app/secret.js`);
      const { app } = throwing(error);

      const response = await request(app).get('/fail');

      expect(response.status).to.equal(500);
      expect(response.body).to.include({ status: 500, code: 'internal_error' });
      expect(response.text).to.not.include(SENTINEL);
      expect(response.text).to.not.include('secret.js');
      expect(response.text).to.not.match(/\bat .+:\d+:\d+/);
      expect(response.text).to.not.include(__filename);
    });

    it('logs an error-level entry with the stack and the request id', async () => {
      const { app, log } = throwing(new Error(SENTINEL));

      const response = await request(app).get('/fail');

      const [entry, ...more] = errorEntries(await log.entries());
      expect(more).to.have.lengthOf(0);
      expect(entry?.requestId).to.equal(response.headers['x-request-id']);
      const logged = entry?.error as { stack?: unknown } | undefined;
      expect(logged?.stack).to.be.a('string').that.includes(SENTINEL);
      expect(String(logged?.stack)).to.match(/\n\s+at /);
    });

    it('hands the original error object to the logger', async () => {
      const error = new Error(SENTINEL);
      const { app, logger } = throwing(error);
      const spy = sinon.spy(logger, 'error');

      try {
        await request(app).get('/fail');
      } finally {
        spy.restore();
      }

      expect(spy.calledOnce).to.equal(true);
      const [, meta] = spy.firstCall.args as unknown[];
      expect(meta).to.have.property('error', error);
    });

    it('masks an error with status 500 that is not an HttpError as 500, not 400', async () => {
      const { app } = throwing(Object.assign(new Error(SENTINEL), { status: 500, expose: false }));

      const response = await request(app).get('/fail');

      expect(response.status).to.equal(500);
      expect(response.body).to.include({ code: 'internal_error' });
      expect(response.text).to.not.include(SENTINEL);
    });

    it('masks an error with statusCode 503 that is not an HttpError as 500', async () => {
      const { app } = throwing(Object.assign(new Error(SENTINEL), { statusCode: 503 }));

      const response = await request(app).get('/fail');

      expect(response.status).to.equal(500);
      expect(response.text).to.not.include(SENTINEL);
    });

    it('answers a thrown string with a masked 500', async () => {
      const { app } = throwing(SENTINEL);

      const response = await request(app).get('/fail');

      expect(response.status).to.equal(500);
      expect(response.text).to.not.include(SENTINEL);
    });
  });

  describe('with a client error from body parsing', () => {
    const parserErrors: ReadonlyArray<readonly [string, number, string]> = [
      ['entity.parse.failed', 400, 'malformed_json'],
      ['entity.too.large', 413, 'payload_too_large'],
      ['encoding.unsupported', 415, 'unsupported_content_encoding'],
      ['charset.unsupported', 415, 'unsupported_charset'],
    ];
    for (const [type, status, code] of parserErrors) {
      it(`keeps status ${status} for ${type}, answers code ${code} and does not echo the input`, async () => {
        const error = Object.assign(new Error(`Unexpected token in JSON at position 3: "${SENTINEL}"`), {
          type,
          status,
          statusCode: status,
          expose: true,
          body: `{"x": ${SENTINEL}}`,
        });
        const { app, log } = throwing(error);

        const response = await request(app).get('/fail');

        expect(response.status).to.equal(status);
        expect(response.body).to.include({ status, code });
        expect(response.text).to.not.include(SENTINEL);
        expect(errorEntries(await log.entries())).to.have.lengthOf(0);
      });
    }

    it('answers 400 malformed_json for a real unparsable JSON body without echoing it', async () => {
      const { app } = harness((routes) => {
        routes.post('/echo', express.json(), (req, res) => {
          res.json(req.body);
        });
      });

      const response = await request(app).post('/echo').set('Content-Type', 'application/json').send(`{"a": ${SENTINEL}`);

      expect(response.status).to.equal(400);
      expect(response.body).to.include({ code: 'malformed_json' });
      expect(response.text).to.not.include(SENTINEL);
    });

    it('answers 413 payload_too_large for a real JSON body over the limit', async () => {
      const { app } = harness((routes) => {
        routes.post('/echo', express.json({ limit: 64 }), (req, res) => {
          res.json(req.body);
        });
      });

      const response = await request(app)
        .post('/echo')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ text: SENTINEL.repeat(20) }));

      expect(response.status).to.equal(413);
      expect(response.body).to.include({ code: 'payload_too_large' });
    });

    it("answers Express's own 400 for a path it cannot percent-decode (a URIError) as 400 bad_request without echoing it", async () => {
      const { app } = throwing(Object.assign(new URIError(`Failed to decode param '${SENTINEL}'`), { status: 400, statusCode: 400 }));

      const response = await request(app).get('/fail');

      expect(response.status).to.equal(400);
      expect(response.body).to.include({ status: 400, code: 'bad_request' });
      expect(response.text).to.not.include(SENTINEL);
    });

    it('keeps the 4xx status of an error marked expose (the http-errors convention), from statusCode when status is absent', async () => {
      const { app } = throwing(Object.assign(new Error(SENTINEL), { statusCode: 422, expose: true }));

      const response = await request(app).get('/fail');

      expect(response.status).to.equal(422);
      expect(response.body).to.include({ code: 'bad_request' });
      expect(response.text).to.not.include(SENTINEL);
    });
  });

  describe('with an error that carries a 4xx status of a third-party client', () => {
    const clientErrors: ReadonlyArray<readonly [string, () => Error]> = [
      [
        'status 401 (an HTTP client calling another service)',
        () => Object.assign(new Error(`Request failed ${SENTINEL}`), { status: 401 }),
      ],
      ['statusCode 404', () => Object.assign(new Error(SENTINEL), { statusCode: 404 })],
      ['status 400 and expose false', () => Object.assign(new Error(SENTINEL), { status: 400, expose: false })],
      ['status 400 and an unknown type', () => Object.assign(new Error(SENTINEL), { status: 400, type: 'constructor' })],
    ];
    for (const [label, makeError] of clientErrors) {
      it(`answers one with ${label} as a masked 500 and logs it as an error`, async () => {
        const { app, log } = throwing(makeError());

        const response = await request(app).get('/fail');

        expect(response.status).to.equal(500);
        expect(response.body).to.include({ code: 'internal_error' });
        expect(response.text).to.not.include(SENTINEL);
        const [entry, ...more] = errorEntries(await log.entries());
        expect(more).to.have.lengthOf(0);
        expect(String((entry?.error as { stack?: unknown } | undefined)?.stack)).to.include(SENTINEL);
      });
    }
  });

  describe('with a constraint violation', () => {
    const KEY_VALUE = 'sentinel-key@example.invalid';
    const postgresError = (code: string, constraint: string, detail: string) =>
      Object.assign(new Error(`violates constraint "${constraint}"`), {
        code,
        severity: 'ERROR',
        detail,
        constraint,
        table: 'accounts',
        sql: `INSERT INTO accounts (email) VALUES ('${KEY_VALUE}')`,
      });
    const violations: ReadonlyArray<readonly [string, () => Error, string]> = [
      [
        'a UniqueConstraintError (23505)',
        () =>
          new UniqueConstraintError({
            parent: postgresError('23505', 'accounts_email_key', `Key (email)=(${KEY_VALUE}) already exists.`),
            fields: { email: KEY_VALUE },
          }),
        'unique_violation',
      ],
      [
        'a ForeignKeyConstraintError (23503)',
        () =>
          new ForeignKeyConstraintError({
            parent: postgresError('23503', 'accounts_owner_fkey', `Key (owner_id)=(${KEY_VALUE}) is not present in table "owners".`),
          }),
        'foreign_key_violation',
      ],
      [
        'a DatabaseError with SQLSTATE 23001 (ON DELETE RESTRICT, PostgreSQL 18)',
        () =>
          new DatabaseError(
            postgresError('23001', 'keepers_account_id_fkey', `Key (id)=(${KEY_VALUE}) is referenced from table "keepers".`),
          ),
        'foreign_key_violation',
      ],
      [
        'a DatabaseError with SQLSTATE 23502',
        () => new DatabaseError(postgresError('23502', 'accounts_email_not_null', `Failing row contains (${KEY_VALUE}, null).`)),
        'not_null_violation',
      ],
      [
        'a DatabaseError with SQLSTATE 23514',
        () => new DatabaseError(postgresError('23514', 'accounts_balance_check', `Failing row contains (${KEY_VALUE}, -5).`)),
        'check_violation',
      ],
      [
        'an ExclusionConstraintError (23P01)',
        () =>
          new ExclusionConstraintError({
            parent: postgresError('23P01', 'accounts_during_excl', `Key (during)=(${KEY_VALUE}) conflicts with existing key.`),
          }),
        'exclusion_violation',
      ],
      [
        'a DatabaseError with SQLSTATE 23000',
        () => new DatabaseError(postgresError('23000', 'accounts_guard', KEY_VALUE)),
        'integrity_violation',
      ],
    ];
    for (const [label, makeError, code] of violations) {
      it(`answers ${label} with 409 ${code}, echoing no key value, and logs the constraint and table below error level`, async () => {
        const { app, log } = throwing(makeError());

        const response = await request(app).get('/fail');

        expect(response.status).to.equal(409);
        expect(response.body).to.include({ status: 409, code });
        expect(response.text).to.not.include(KEY_VALUE);
        expect(response.text).to.not.include('accounts');
        const entries = await log.entries();
        expect(errorEntries(entries)).to.have.lengthOf(0);
        expect(entries.find((entry) => entry.message === 'request rejected')).to.include({ code, table: 'accounts' });
        expect(JSON.stringify(entries)).to.not.include(KEY_VALUE);
      });
    }
  });

  describe('with a database fault', () => {
    const faults: ReadonlyArray<readonly [string, () => Error, string]> = [
      ['ConnectionRefusedError', () => new ConnectionRefusedError(new Error(`connect ECONNREFUSED ${SENTINEL}`)), 'database_unavailable'],
      [
        'ConnectionAcquireTimeoutError',
        () => new ConnectionAcquireTimeoutError(new Error(`acquire timed out ${SENTINEL}`)),
        'database_pool_exhausted',
      ],
      ['DatabaseError with SQLSTATE 57014', statementTimeout, 'database_timeout'],
    ];
    for (const [label, makeError, code] of faults) {
      it(`answers a ${label} with 503 ${code} and a Retry-After header, saying nothing about the query`, async () => {
        const { app, log } = throwing(makeError());

        const response = await request(app).get('/fail');

        expect(response.status).to.equal(503);
        expect(response.headers['retry-after']).to.match(/^\d+$/);
        expect(response.body).to.include({ status: 503, code });
        expect(response.text).to.not.include(SENTINEL);
        expect(response.text).to.not.include('SELECT');
        const entries = await log.entries();
        expect(entries.some((entry) => entry.level === 'warn')).to.equal(true);
        expect(errorEntries(entries)).to.have.lengthOf(0);
      });
    }
  });

  describe('for every problem response', () => {
    const errors: ReadonlyArray<readonly [string, () => unknown, number, string]> = [
      ['a NotFoundError', () => new NotFoundError(), 404, 'Not Found'],
      ['a MethodNotAllowedError', () => new MethodNotAllowedError(['GET']), 405, 'Method Not Allowed'],
      ['an unknown Error', () => new Error(SENTINEL), 500, 'Internal Server Error'],
      ['a parser error', () => Object.assign(new Error(SENTINEL), { type: 'entity.parse.failed', status: 400 }), 400, 'Bad Request'],
      ['a database fault', () => new ConnectionRefusedError(new Error(SENTINEL)), 503, 'Service Unavailable'],
    ];
    for (const [label, makeError, status, title] of errors) {
      it(`answers ${label} with a complete, uncacheable ${status} problem+json body that carries the request id`, async () => {
        const { app } = harness((routes) => {
          routes.get('/fail/:segment', () => {
            throw makeError();
          });
        });

        const response = await request(app).get('/fail/private-path-segment?token=query-token');

        expect(response.headers['content-type']).to.match(/^application\/problem\+json\b/);
        expect(response.headers['cache-control']).to.equal('no-store');
        const body = JSON.parse(response.text) as Problem;
        expect(Object.keys(body)).to.have.members(PROBLEM_FIELDS);
        expect(response.status).to.equal(status);
        expect(body.status).to.equal(status);
        expect(body.title).to.equal(title);
        expect(body.detail).to.be.a('string').with.lengthOf.above(0);
        expect(body.requestId).to.be.a('string').with.lengthOf.above(0);
        expect(body.requestId).to.equal(response.headers['x-request-id']);
        expect(body.instance).to.include(body.requestId);
        expect(response.text).to.not.include('private-path-segment');
        expect(response.text).to.not.include('query-token');
      });
    }

    it('uses a sane incoming X-Request-Id as the request id of the problem', async () => {
      const { app } = throwing(new NotFoundError());

      const response = await request(app).get('/fail').set(REQUEST_ID_HEADER, 'edge-router-1234');

      expect(response.headers['x-request-id']).to.equal('edge-router-1234');
      expect(response.body).to.include({ requestId: 'edge-router-1234' });
    });

    it('replaces an incoming X-Request-Id that could forge a log line', async () => {
      const { app } = throwing(new NotFoundError());

      const response = await request(app).get('/fail').set(REQUEST_ID_HEADER, 'abc def"}{');

      expect(response.headers['x-request-id']).to.not.equal('abc def"}{');
      expect(response.body).to.have.property('requestId', response.headers['x-request-id']);
    });

    it('answers with requestId unknown when the error happened before the request id middleware', async () => {
      const log = captureLog();
      const logger = createLogger({ env: 'production', logLevel: 'debug' }, log.stream);
      const app = express();
      app.use(() => {
        throw new NotFoundError();
      });
      app.use(errorHandler(logger));

      const response = await request(app).get('/anything');

      expect(response.status).to.equal(404);
      expect(response.body).to.include({ requestId: 'unknown' });
    });
  });

  describe('when the response headers were already sent', () => {
    let server: http.Server | undefined;
    afterEach(async () => {
      if (server?.listening) {
        server.closeAllConnections();
        server.close();
        await once(server, 'close');
      }
      server = undefined;
    });

    it('passes the error on to Express, which cuts the response instead of appending a problem body', async () => {
      const thrown = new Error(SENTINEL);
      const delegated: unknown[] = [];
      const { app } = harness(
        (routes) => {
          routes.get('/partial', (_req, res) => {
            res.status(200).type('text/plain');
            res.write('partial-output;');
            throw thrown;
          });
        },
        (error, _req, _res, next) => {
          delegated.push(error);
          next(error);
        },
      );
      const listening = app.listen(0, '127.0.0.1');
      server = listening;
      await once(listening, 'listening');
      const { port } = listening.address() as AddressInfo;

      const received = await new Promise<{ status: number | undefined; type: string | undefined; body: string; complete: boolean }>(
        (resolve, reject) => {
          const outgoing = http.get({ host: '127.0.0.1', port, path: '/partial' }, (incoming) => {
            let body = '';
            incoming.setEncoding('utf8');
            incoming.on('data', (chunk: string) => {
              body += chunk;
            });
            incoming.on('error', () => undefined);
            incoming.on('close', () =>
              resolve({ status: incoming.statusCode, type: incoming.headers['content-type'], body, complete: incoming.complete }),
            );
          });
          outgoing.on('error', reject);
        },
      );

      expect(received.status).to.equal(200);
      expect(received.type).to.match(/^text\/plain/);
      expect(received.body).to.equal('partial-output;');
      expect(received.complete).to.equal(false);
      expect(delegated).to.have.lengthOf(1);
      expect(delegated[0]).to.equal(thrown);
    });
  });
});

describe('classifyDatabaseFault', () => {
  const notFaults: ReadonlyArray<readonly [string, unknown]> = [
    ['a plain Error', new Error('connect ECONNREFUSED')],
    ['a TypeError', new TypeError('x is undefined')],
    ['an HttpError', new ServiceUnavailableError('busy', 'busy')],
    ['null', null],
    ['a string', 'Connection terminated'],
    ['an object with a status', { status: 503 }],
    ['a DatabaseError for a syntax error', new DatabaseError(Object.assign(new Error('syntax error'), { code: '42601', sql: 'SELEC 1' }))],
    [
      'a UniqueConstraintError',
      new UniqueConstraintError({ parent: Object.assign(new Error('duplicate key'), { code: '23505', sql: 'INSERT' }) }),
    ],
  ];
  for (const [label, value] of notFaults) {
    it(`returns undefined for ${label}`, () => {
      expect(classifyDatabaseFault(value)).to.equal(undefined);
    });
  }

  it('classifies a refused connection as database_unavailable', () => {
    expect(classifyDatabaseFault(new ConnectionRefusedError(new Error('x')))).to.have.property('code', 'database_unavailable');
  });

  it('classifies a pool acquire timeout as database_pool_exhausted', () => {
    expect(classifyDatabaseFault(new ConnectionAcquireTimeoutError(new Error('x')))).to.have.property('code', 'database_pool_exhausted');
  });

  it('classifies a canceled statement (57014) as database_timeout', () => {
    expect(classifyDatabaseFault(statementTimeout())).to.have.property('code', 'database_timeout');
  });

  it('classifies a DatabaseError with a connection-class SQLSTATE (08006) as database_unavailable', () => {
    const error = new DatabaseError(Object.assign(new Error('connection failure'), { code: '08006', sql: 'SELECT 1' }));

    expect(classifyDatabaseFault(error)).to.have.property('code', 'database_unavailable');
  });

  it('classifies a DatabaseError about a terminated connection as database_unavailable', () => {
    const error = new DatabaseError(Object.assign(new Error('Connection terminated unexpectedly'), { sql: 'SELECT 1' }));

    expect(classifyDatabaseFault(error)).to.have.property('code', 'database_unavailable');
  });

  it('gives a detail that names neither the query nor the driver message', () => {
    const fault = classifyDatabaseFault(statementTimeout());

    expect(fault?.detail).to.be.a('string').with.lengthOf.above(0);
    expect(fault?.detail).to.not.include('SELECT');
    expect(fault?.detail).to.not.include(SENTINEL);
  });
});

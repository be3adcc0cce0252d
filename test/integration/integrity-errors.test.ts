import crypto from 'node:crypto';
import { expect } from 'chai';
import { Router, type Express } from 'express';
import request from 'supertest';
import { z } from 'zod';
import { createApp, type RouteEntry } from '../../lib/keel/http';
import { KEEL_ROUTES } from '../../lib/keel/endpoints';
import { noContentResponse, responseRef } from '../../lib/keel/http/openapi';
import { handle, operation } from '../../lib/keel/http/operation';
import { currentRequestFields } from '../../lib/keel/http/request-scope';
import { CONSTRAINT_VIOLATIONS } from '../../lib/keel/db/faults';
import type { Database } from '../../lib/keel/db';
import { sendConsoleToLogger } from '../../config/console';
import { createLogger } from '../../config/logger';
import { contractChecked, servingLifecycle, testConfig, testDatabase, SERVICE } from '../support/app';
import { adminQuery, createScratchDatabase, queryOnce, type ScratchDatabase } from '../support/database';
import { captureLog, type LogCapture } from '../support/log-capture';

// Every SQLSTATE of class 23, provoked for real on scratch tables, through the real app and error handler.
const SENTINEL = `sentinel-${crypto.randomBytes(4).toString('hex')}`;
const MISSING_PARENT = 987_654;
// Cluster-wide, so named at random: the role a tenant's writes run as, subject to row-level security.
const ROLE = `keel_test_tenant_${crypto.randomBytes(6).toString('hex')}`;

const TABLES = [
  'CREATE TABLE keel_test_accounts (login_name text NOT NULL UNIQUE, nickname text NOT NULL, age int NOT NULL CHECK (age >= 0))',
  'CREATE TABLE keel_test_parents (id int PRIMARY KEY)',
  'CREATE TABLE keel_test_children (parent_id int NOT NULL REFERENCES keel_test_parents (id))',
  'CREATE TABLE keel_test_keepers (parent_id int NOT NULL REFERENCES keel_test_parents (id) ON DELETE RESTRICT)',
  'CREATE TABLE keel_test_late_children (parent_id int NOT NULL REFERENCES keel_test_parents (id) DEFERRABLE INITIALLY DEFERRED)',
  'CREATE TABLE keel_test_bookings (during int4range NOT NULL, EXCLUDE USING gist (during WITH &&))',
  'CREATE TABLE keel_test_ledger (amount int NOT NULL)',
  // No constraint raises 23000 itself: a trigger does, as a product's own integrity rule would.
  `CREATE FUNCTION keel_test_ledger_guard() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF NEW.amount = 0 THEN RAISE EXCEPTION 'an empty entry' USING ERRCODE = 'integrity_constraint_violation', TABLE = TG_TABLE_NAME; END IF;
     RETURN NEW;
   END $$`,
  'CREATE TRIGGER keel_test_ledger_guard BEFORE INSERT ON keel_test_ledger FOR EACH ROW EXECUTE FUNCTION keel_test_ledger_guard()',
  // Row-level security, as a generated --tenant resource has: the server withholds the key from its errors.
  'CREATE TABLE keel_test_labels (tenant_id int NOT NULL DEFAULT 1, label text NOT NULL, CONSTRAINT keel_test_labels_label_key UNIQUE (tenant_id, label))',
  'ALTER TABLE keel_test_labels ENABLE ROW LEVEL SECURITY',
  'CREATE POLICY keel_test_labels_tenant ON keel_test_labels USING (tenant_id = 1) WITH CHECK (tenant_id = 1)',
  `CREATE ROLE ${ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS`,
  `GRANT SELECT, INSERT ON keel_test_labels TO ${ROLE}`,
  'INSERT INTO keel_test_parents VALUES (1), (2)',
  'INSERT INTO keel_test_children VALUES (1)',
  'INSERT INTO keel_test_keepers VALUES (2)',
];

// Each schema lets through what its table refuses, as a schema that misses a rule of its table would.
const Account = z.strictObject({ loginName: z.string(), nickname: z.string().optional(), age: z.number().int().optional() });
const Child = z.strictObject({ parentId: z.number().int() });
const Booking = z.strictObject({ during: z.string() });
const Entry = z.strictObject({ amount: z.number().int() });
const Label = z.strictObject({ label: z.string() });
const conflict = { 204: noContentResponse('Stored.'), 409: responseRef('Conflict') };
const post = <B extends z.ZodType>(path: string, operationId: string, body: B) =>
  operation({ method: 'post', path, operationId, summary: operationId, tags: ['keel-test'], body, responses: conflict });

const OPERATIONS = {
  account: post('/accounts', 'createKeelTestAccount', Account),
  child: post('/children', 'createKeelTestChild', Child),
  lateChild: post('/late-children', 'createKeelTestLateChild', Child),
  booking: post('/bookings', 'createKeelTestBooking', Booking),
  entry: post('/ledger', 'createKeelTestEntry', Entry),
  label: post('/labels', 'createKeelTestLabel', Label),
  parent: operation({
    method: 'delete',
    path: '/parents/{id}',
    operationId: 'deleteKeelTestParent',
    summary: 'deleteKeelTestParent',
    tags: ['keel-test'],
    params: z.strictObject({ id: z.coerce.number().int() }),
    responses: conflict,
  }),
};

/** The route table: KEEL_ROUTES and one entry whose handlers write one statement each, recording the SQLSTATE they meet. */
/** What the server said of a statement that failed: its SQLSTATE, and whether its detail names the key. */
interface Seen {
  readonly state: unknown;
  readonly namesKey: boolean;
}

function routesOn(database: Database, seen: Seen[]): RouteEntry[] {
  const recorded = async (work: () => Promise<unknown>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      const parent = (error as { parent?: { code?: unknown; detail?: unknown } }).parent;
      seen.push({ state: parent?.code, namesKey: String(parent?.detail).startsWith('Key (') });
      throw error;
    }
  };
  const write = (sql: string, bind: unknown[]) => recorded(() => database.sequelize.query(sql, { bind }));
  const entry: RouteEntry = {
    path: '/keel-test',
    access: 'public',
    operations: Object.values(OPERATIONS),
    router: ({ unitOfWork }) => {
      const router = Router();
      handle(router, OPERATIONS.account, async (req, res) => {
        const { loginName, nickname, age } = req.body;
        await write('INSERT INTO keel_test_accounts VALUES ($1, $2, $3)', [loginName, nickname ?? null, age ?? 0]);
        res.status(204).end();
      });
      handle(router, OPERATIONS.child, async (req, res) => {
        await write('INSERT INTO keel_test_children VALUES ($1)', [req.body.parentId]);
        res.status(204).end();
      });
      handle(router, OPERATIONS.lateChild, async (req, res) => {
        // Deferred: the statement succeeds and the COMMIT fails.
        const insert = () => database.sequelize.query('INSERT INTO keel_test_late_children VALUES ($1)', { bind: [req.body.parentId] });
        await recorded(() => unitOfWork(req, insert));
        res.status(204).end();
      });
      handle(router, OPERATIONS.booking, async (req, res) => {
        await write('INSERT INTO keel_test_bookings VALUES ($1::int4range)', [req.body.during]);
        res.status(204).end();
      });
      handle(router, OPERATIONS.entry, async (req, res) => {
        await write('INSERT INTO keel_test_ledger VALUES ($1)', [req.body.amount]);
        res.status(204).end();
      });
      handle(router, OPERATIONS.label, async (req, res) => {
        const insert = async () => {
          await database.sequelize.query(`SET LOCAL ROLE ${ROLE}`);
          await database.sequelize.query('INSERT INTO keel_test_labels (label) VALUES ($1)', { bind: [req.body.label] });
        };
        await recorded(() => unitOfWork(req, insert));
        res.status(204).end();
      });
      handle(router, OPERATIONS.parent, async (req, res) => {
        await write('DELETE FROM keel_test_parents WHERE id = $1', [req.params.id]);
        res.status(204).end();
      });
      return router;
    },
  };
  return [...KEEL_ROUTES, entry];
}

interface Case {
  readonly what: string;
  /** The SQLSTATE PostgreSQL answers with, on a server of that version (server_version_num). */
  readonly state: (serverVersion: number) => string;
  readonly send: (app: Express) => Promise<request.Response>;
  readonly code: keyof typeof CONSTRAINT_VIOLATIONS;
  readonly pointers: readonly string[];
  readonly constraint: string | undefined;
  readonly table: string;
  /** Row-level security: the server's detail names no key. */
  readonly withheld?: boolean;
}

const account = (app: Express, body: object) => request(app).post('/keel-test/accounts').send(body);

const CASES: readonly Case[] = [
  {
    what: '23505, a unique value taken',
    state: () => '23505',
    send: async (app) => {
      expect((await account(app, { loginName: SENTINEL, nickname: 'first' })).status).to.equal(204);
      return account(app, { loginName: SENTINEL, nickname: 'second' });
    },
    code: 'unique_violation',
    pointers: ['/body/loginName'],
    constraint: 'keel_test_accounts_login_name_key',
    table: 'keel_test_accounts',
  },
  {
    what: '23505 under row-level security, which withholds the key: the field from the constraint’s name',
    state: () => '23505',
    send: async (app) => {
      expect((await request(app).post('/keel-test/labels').send({ label: SENTINEL })).status).to.equal(204);
      return request(app).post('/keel-test/labels').send({ label: SENTINEL });
    },
    code: 'unique_violation',
    pointers: ['/body/label'],
    constraint: 'keel_test_labels_label_key',
    table: 'keel_test_labels',
    withheld: true,
  },
  {
    what: '23503, a reference to a row that does not exist',
    state: () => '23503',
    send: (app) => request(app).post('/keel-test/children').send({ parentId: MISSING_PARENT }),
    code: 'foreign_key_violation',
    pointers: ['/body/parentId'],
    constraint: 'keel_test_children_parent_id_fkey',
    table: 'keel_test_children',
  },
  {
    what: '23503, a delete of a row still referenced (NO ACTION)',
    state: () => '23503',
    send: (app) => request(app).delete('/keel-test/parents/1'),
    code: 'foreign_key_violation',
    pointers: [],
    constraint: 'keel_test_children_parent_id_fkey',
    table: 'keel_test_children',
  },
  {
    what: '23001, a delete ON DELETE RESTRICT refuses (23503 before PostgreSQL 18)',
    state: (version) => (version >= 180_000 ? '23001' : '23503'),
    send: (app) => request(app).delete('/keel-test/parents/2'),
    code: 'foreign_key_violation',
    pointers: [],
    constraint: 'keel_test_keepers_parent_id_fkey',
    table: 'keel_test_keepers',
  },
  {
    what: '23503 at COMMIT, a deferred reference to a row that does not exist',
    state: () => '23503',
    send: (app) => request(app).post('/keel-test/late-children').send({ parentId: MISSING_PARENT }),
    code: 'foreign_key_violation',
    pointers: ['/body/parentId'],
    constraint: 'keel_test_late_children_parent_id_fkey',
    table: 'keel_test_late_children',
  },
  {
    what: '23502, a value left out',
    state: () => '23502',
    send: (app) => account(app, { loginName: `${SENTINEL}-nameless` }),
    code: 'not_null_violation',
    pointers: ['/body/nickname'],
    constraint: undefined,
    table: 'keel_test_accounts',
  },
  {
    what: '23514, a check the row fails',
    state: () => '23514',
    send: (app) => account(app, { loginName: `${SENTINEL}-negative`, nickname: 'n', age: -7 }),
    code: 'check_violation',
    pointers: [],
    constraint: 'keel_test_accounts_age_check',
    table: 'keel_test_accounts',
  },
  {
    what: '23P01, an overlap an exclusion constraint refuses',
    state: () => '23P01',
    send: async (app) => {
      expect((await request(app).post('/keel-test/bookings').send({ during: '[100,200)' })).status).to.equal(204);
      return request(app).post('/keel-test/bookings').send({ during: '[150,250)' });
    },
    code: 'exclusion_violation',
    pointers: ['/body/during'],
    constraint: 'keel_test_bookings_during_excl',
    table: 'keel_test_bookings',
  },
  {
    what: '23000, the class’s generic code',
    state: () => '23000',
    send: (app) => request(app).post('/keel-test/ledger').send({ amount: 0 }),
    code: 'integrity_violation',
    pointers: [],
    constraint: undefined,
    table: 'keel_test_ledger',
  },
];

describe('integrity violations from a real PostgreSQL answered 409, never 500', () => {
  let scratch: ScratchDatabase;
  let database: Database;
  let serverVersion: number;
  let capture: LogCapture;
  let app: Express;
  let restoreConsole: (() => void) | undefined;
  const seen: Seen[] = [];

  before(async () => {
    scratch = await createScratchDatabase();
    for (const statement of TABLES) await queryOnce(scratch.url, statement);
    const [row] = await queryOnce<{ server_version_num: string }>(scratch.url, 'SHOW server_version_num');
    serverVersion = Number(row?.server_version_num);
    database = testDatabase({ DATABASE_URL: scratch.url });
  });
  after(async () => {
    await database?.close();
    await scratch?.drop();
    await adminQuery(`DROP ROLE IF EXISTS ${ROLE}`);
  });
  beforeEach(() => {
    seen.length = 0;
    capture = captureLog();
    const logger = createLogger({ env: 'production', logLevel: 'debug' }, capture.stream, currentRequestFields);
    // As bin/www does: Sequelize's console.warn about a COMMIT that failed becomes a log line, checked below.
    restoreConsole = sendConsoleToLogger(logger);
    const routes = routesOn(database, seen);
    const config = testConfig({ DATABASE_URL: scratch.url });
    app = contractChecked(
      createApp({ ...SERVICE, config, logger, database, lifecycle: servingLifecycle(), version: '0.0.0', routes }),
      routes,
    );
  });

  afterEach(() => {
    restoreConsole?.();
    restoreConsole = undefined;
  });

  for (const { what, state, send, code, pointers, constraint, table, withheld } of CASES) {
    it(`answers ${what} with 409 ${code}, pointing at ${pointers.join(', ') || 'no field'}, echoing no value`, async () => {
      const response = await send(app);

      expect(response.status, response.text).to.equal(409);
      expect(seen.at(-1)?.state).to.equal(state(serverVersion));
      if (withheld) expect(seen.at(-1)?.namesKey, 'the server names the key').to.equal(false);
      expect(response.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(response.body).to.include({ status: 409, code, detail: CONSTRAINT_VIOLATIONS[code].detail });
      const texts: { readonly detail: string; readonly field?: string } = CONSTRAINT_VIOLATIONS[code];
      const errors = pointers.map((pointer) => ({ pointer, detail: texts.field }));
      expect(response.body.errors).to.deep.equal(errors.length > 0 ? errors : undefined);
      expect(response.text).to.not.match(new RegExp(`${SENTINEL}|${MISSING_PARENT}|keel_test|Key \\(`));

      const rejected = await capture.waitForEntry((entry) => entry.message === 'request rejected', 'for the 409');
      expect(rejected).to.include({ level: 'debug', code, table });
      expect(rejected.constraint).to.equal(constraint);
      const entries = await capture.entries();
      expect(entries.filter((entry) => entry.level === 'error')).to.deep.equal([]);
      expect(entries.filter((entry) => entry.level === 'warn' && entry.source !== 'console')).to.deep.equal([]);
      expect(await capture.text()).to.not.match(new RegExp(`${SENTINEL}|${MISSING_PARENT}|Failing row`));
    });
  }
});

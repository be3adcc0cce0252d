import crypto from 'node:crypto';
import { expect } from 'chai';
import sinon from 'sinon';
import {
  DataTypes,
  Model,
  QueryTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
  type Transaction,
} from 'sequelize';
import { uuidPrimaryKey } from '../../lib/keel/models/attributes';
import type { Database } from '../../lib/keel/db';
import { testDatabase } from '../support/app';
import { createScratchDatabase, queryOnce, testDatabaseUrl, type ScratchDatabase } from '../support/database';
import { runCliOk } from '../support/migrations';
import { waitForBackend } from '../support/pg-activity';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Short budgets: a query that waits for the connection its own transaction holds fails fast instead of hanging. */
const BUDGETS = { DB_CONNECT_TIMEOUT_MS: '1000', DB_POOL_ACQUIRE_MS: '2000', DB_STATEMENT_TIMEOUT_MS: '5000' };

interface Session {
  readonly userId: string | null;
  readonly pid: number;
  readonly txid: string;
}

/**
 * Reads app.user_id, the backend and the transaction id through a plain sequelize.query, passing no
 * transaction: inside a unit of work, CLS must supply it.
 */
async function readSession(sequelize: Sequelize): Promise<Session> {
  const [row] = await sequelize.query<{ user_id: string | null; pid: number; txid: string }>(
    "SELECT current_setting('app.user_id', true) AS user_id, pg_backend_pid() AS pid, txid_current()::text AS txid",
    { type: QueryTypes.SELECT },
  );
  if (!row) throw new Error('the session query returned no row');
  return { userId: row.user_id, pid: row.pid, txid: row.txid };
}

/** The transaction id seen through the transaction passed explicitly. */
async function txidOf(sequelize: Sequelize, transaction: Transaction): Promise<string> {
  const [row] = await sequelize.query<{ txid: string }>('SELECT txid_current()::text AS txid', { type: QueryTypes.SELECT, transaction });
  if (!row) throw new Error('txid_current() returned no row');
  return row.txid;
}

/** An unset custom setting reads NULL; one that a finished transaction set locally reads ''. */
function expectUnset(value: string | null, when: string): void {
  expect([null, ''], `app.user_id ${when}`).to.include(value);
}

/** Resolves once `parties` callers have arrived; rejects after a hang guard if they never do. */
function barrier(parties: number, hangGuardMs = 5_000): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => undefined;
  const everyone = new Promise<void>((resolve) => {
    release = resolve;
  });
  return async () => {
    arrived += 1;
    if (arrived === parties) release();
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`only ${arrived} of ${parties} parties reached the barrier`)), hangGuardMs);
    });
    try {
      await Promise.race([everyone, guard]);
    } finally {
      clearTimeout(timer);
    }
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return expect.fail('expected the promise to reject, but it resolved');
}

async function countRows(url: string, table: string): Promise<number> {
  const [row] = await queryOnce<{ n: string }>(url, `SELECT count(*)::text AS n FROM ${table}`);
  return Number(row?.n);
}

/** An example model, defined only here: its author column defaults to the transaction's settings in the database. */
class Note extends Model<InferAttributes<Note>, InferCreationAttributes<Note>> {
  declare id: CreationOptional<string>;
  declare body: string;
  declare author: CreationOptional<string | null>;

  static initModel(sequelize: Sequelize): typeof Note {
    return Note.init(
      {
        id: uuidPrimaryKey(),
        body: { type: DataTypes.TEXT, allowNull: false },
        author: { type: DataTypes.TEXT },
      },
      { sequelize, tableName: 'keel_test_notes', underscored: true, timestamps: false },
    );
  }
}

describe('database.unitOfWork(settings, work)', () => {
  let scratch: ScratchDatabase;
  const opened: Database[] = [];
  const open = (overrides: Record<string, string>): Database => {
    const database = testDatabase({ DATABASE_URL: scratch.url, ...BUDGETS, ...overrides });
    opened.push(database);
    return database;
  };

  beforeEach(async () => {
    scratch = await createScratchDatabase();
    await queryOnce(scratch.url, 'CREATE TABLE keel_test_events (id serial PRIMARY KEY, label text NOT NULL)');
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
    await scratch.drop();
  });

  describe('inside the work', () => {
    it('exposes each setting as app.<key> to a plain sequelize.query that passes no transaction', async () => {
      const database = open({ DB_POOL_MAX: '1' });

      const seen = await database.unitOfWork({ user_id: '42', tenant: 'acme' }, async () => {
        const [row] = await database.sequelize.query<{ user_id: string; tenant: string }>(
          "SELECT current_setting('app.user_id', true) AS user_id, current_setting('app.tenant', true) AS tenant",
          { type: QueryTypes.SELECT },
        );
        return row;
      });

      expect(seen).to.deep.equal({ user_id: '42', tenant: 'acme' });
    });

    it('runs that plain query in the unit of work transaction: same backend and same txid_current() as the transaction', async () => {
      const database = open({ DB_POOL_MAX: '1' });

      const { viaCls, viaTransaction, transactionPid } = await database.unitOfWork({ user_id: '42' }, async (transaction) => {
        const [row] = await database.sequelize.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', {
          type: QueryTypes.SELECT,
          transaction,
        });
        return {
          viaCls: await readSession(database.sequelize),
          viaTransaction: await txidOf(database.sequelize, transaction),
          transactionPid: row?.pid,
        };
      });

      expect(viaCls.txid, 'txid_current() without passing the transaction').to.equal(viaTransaction);
      expect(viaCls.pid, 'backend').to.equal(transactionPid);
    });

    it('keeps using the transaction after timers and across parallel queries (AsyncLocalStorage follows the async chain)', async () => {
      const database = open({ DB_POOL_MAX: '1' });

      const { sessions, txid } = await database.unitOfWork({ user_id: '42' }, async (transaction) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const afterTimer = await readSession(database.sequelize);
        const parallel = await Promise.all([readSession(database.sequelize), readSession(database.sequelize)]);
        await new Promise((resolve) => setImmediate(resolve));
        const afterImmediate = await readSession(database.sequelize);
        return { sessions: [afterTimer, ...parallel, afterImmediate], txid: await txidOf(database.sequelize, transaction) };
      });

      for (const [index, session] of sessions.entries()) {
        expect(session, `session ${index}`).to.include({ userId: '42', txid });
      }
    });

    it('passes a value with quotes, backslashes and SQL in it through verbatim (escaped: it cannot end its literal)', async () => {
      const database = open({ DB_POOL_MAX: '1' });
      const value = "O'Brien\\'); DROP TABLE keel_test_events; --";

      const session = await database.unitOfWork({ user_id: value }, () => readSession(database.sequelize));

      expect(session.userId).to.equal(value);
      expect(await countRows(scratch.url, 'keel_test_events'), 'keel_test_events still exists').to.equal(0);
    });

    it('returns what the work returns, once the transaction has committed', async () => {
      const database = open({ DB_POOL_MAX: '1' });

      const result = await database.unitOfWork({ user_id: '42' }, async () => {
        await database.sequelize.query("INSERT INTO keel_test_events (label) VALUES ('committed')");
        return 'the result';
      });

      expect(result).to.equal('the result');
      const rows = await queryOnce<{ label: string }>(scratch.url, 'SELECT label FROM keel_test_events');
      expect(rows, 'seen from another connection after commit').to.deep.equal([{ label: 'committed' }]);
    });
  });

  describe('after the unit of work commits', () => {
    it('leaves app.user_id unset for the next query on the same backend', async () => {
      const database = open({ DB_POOL_MAX: '1' });
      const inside = await database.unitOfWork({ user_id: '42' }, () => readSession(database.sequelize));

      const next = await readSession(database.sequelize);

      expect(inside.userId, 'inside').to.equal('42');
      expect(next.pid, 'the same pooled backend').to.equal(inside.pid);
      expectUnset(next.userId, 'on the next query after commit');
    });

    it('leaves app.user_id unset for the next unit of work on the same backend that carries no user', async () => {
      const database = open({ DB_POOL_MAX: '1' });
      const first = await database.unitOfWork({ user_id: '42' }, () => readSession(database.sequelize));

      const second = await database.unitOfWork({ tenant: 'acme' }, () => readSession(database.sequelize));

      expect(second.pid, 'the same pooled backend').to.equal(first.pid);
      expect(second.txid, 'a new transaction').to.not.equal(first.txid);
      expectUnset(second.userId, 'in the next unit of work');
    });
  });

  describe('when the work throws', () => {
    it('rejects with the same error, rolls back the insert made inside and leaves app.user_id unset on that backend', async () => {
      const database = open({ DB_POOL_MAX: '1' });
      const failure = new Error('the work failed');
      let inside: Session | undefined;

      const error = await rejectionOf(
        database.unitOfWork({ user_id: '42' }, async () => {
          await database.sequelize.query("INSERT INTO keel_test_events (label) VALUES ('rolled back')");
          inside = await readSession(database.sequelize);
          throw failure;
        }),
      );
      const next = await readSession(database.sequelize);

      expect(error, 'the error the work threw').to.equal(failure);
      expect(inside?.userId, 'inside').to.equal('42');
      expect(await countRows(scratch.url, 'keel_test_events'), 'rows after rollback').to.equal(0);
      expect(next.pid, 'the same pooled backend').to.equal(inside?.pid);
      expectUnset(next.userId, 'on the next query after rollback');
    });
  });

  describe('two concurrent units of work on two connections', () => {
    it('each sees only its own app.user_id, before and after the other has set its own', async () => {
      const database = open({ DB_POOL_MAX: '2' });
      const meet = barrier(2);
      const run = (userId: string): Promise<{ before: Session; after: Session }> =>
        database.unitOfWork({ user_id: userId }, async () => {
          const before = await readSession(database.sequelize);
          await meet();
          const after = await readSession(database.sequelize);
          return { before, after };
        });

      const [alice, bob] = await Promise.all([run('alice'), run('bob')]);

      expect(alice.before.pid, 'two backends').to.not.equal(bob.before.pid);
      expect([alice.before.userId, alice.after.userId], 'alice').to.deep.equal(['alice', 'alice']);
      expect([bob.before.userId, bob.after.userId], 'bob').to.deep.equal(['bob', 'bob']);
      expect(alice.after.txid, "alice's own transaction").to.equal(alice.before.txid);
      expect(bob.after.txid, "bob's own transaction").to.equal(bob.before.txid);
    });
  });

  describe('model calls inside the work', () => {
    beforeEach(async () => {
      await runCliOk('db:migrate', scratch.url);
      await queryOnce(
        scratch.url,
        "CREATE TABLE keel_test_notes (id uuid PRIMARY KEY, body text NOT NULL, author text DEFAULT current_setting('app.user_id', true))",
      );
    });

    it('create() and findAll() use the transaction: the row carries the settings and a rollback removes it', async () => {
      const database = open({ DB_POOL_MAX: '1' });
      Note.initModel(database.sequelize);
      const failure = new Error('undo');
      let seenInside: { body: string; author: string | null }[] = [];
      let createdId = '';

      const error = await rejectionOf(
        database.unitOfWork({ user_id: '42' }, async () => {
          createdId = (await Note.create({ body: 'draft' })).id;
          seenInside = (await Note.findAll({ attributes: ['body', 'author'], raw: true })) as { body: string; author: string | null }[];
          throw failure;
        }),
      );

      expect(error).to.equal(failure);
      expect(createdId, 'the id the database gave').to.match(UUID_V7);
      expect(seenInside, 'findAll inside sees the uncommitted row').to.deep.equal([{ body: 'draft', author: '42' }]);
      expect(await countRows(scratch.url, 'keel_test_notes'), 'rows after rollback').to.equal(0);
    });

    it('create() inside a committed unit of work stores the row with the user of its settings as its author', async () => {
      const database = open({ DB_POOL_MAX: '1' });
      Note.initModel(database.sequelize);

      const created = await database.unitOfWork({ user_id: '7' }, () => Note.create({ body: 'kept' }));

      const rows = await queryOnce<{ id: string; body: string; author: string }>(
        scratch.url,
        'SELECT id::text, body, author FROM keel_test_notes',
      );
      expect(rows).to.deep.equal([{ id: created.id, body: 'kept', author: '7' }]);
    });
  });
});

describe('database.unitOfWork(settings, work, { signal })', () => {
  let scratch: ScratchDatabase;
  const opened: Database[] = [];
  const open = (overrides: Record<string, string> = {}): Database => {
    const database = testDatabase({ DATABASE_URL: scratch.url, DB_POOL_MAX: '1', ...BUDGETS, ...overrides });
    opened.push(database);
    return database;
  };

  beforeEach(async () => {
    scratch = await createScratchDatabase();
    await queryOnce(scratch.url, 'CREATE TABLE keel_test_events (id serial PRIMARY KEY, label text NOT NULL)');
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
    await scratch.drop();
  });

  it('never starts the work, nor a transaction or a connection, when the signal fired before', async () => {
    const database = open();
    const transaction = sinon.spy(database.sequelize, 'transaction');
    const work = sinon.stub().resolves('ran');
    const reason = new Error('the request is over');

    const error = await rejectionOf(database.unitOfWork({ user_id: '42' }, work, { signal: AbortSignal.abort(reason) }));

    expect(error, 'the signal reason').to.equal(reason);
    expect(work.called, 'work called').to.equal(false);
    expect(transaction.called, 'sequelize.transaction called').to.equal(false);
    expect(database.poolStats().size, 'connections opened').to.equal(0);
  });

  it('rolls back instead of committing when the signal fires after the last statement of the work', async () => {
    const database = open();
    const controller = new AbortController();
    const reason = new Error('deadline');

    const error = await rejectionOf(
      database.unitOfWork(
        {},
        async () => {
          await database.sequelize.query("INSERT INTO keel_test_events (label) VALUES ('too late')");
          controller.abort(reason);
          return 'done';
        },
        { signal: controller.signal },
      ),
    );
    const next = await database.unitOfWork({ user_id: '7' }, () => readSession(database.sequelize));

    expect(error, 'the signal reason').to.equal(reason);
    expect(await countRows(scratch.url, 'keel_test_events'), 'rows committed').to.equal(0);
    expect(next.userId, 'the connection serves the next unit of work').to.equal('7');
  });

  it('cancels the statement running on the server, rolls back, and leaves the connection usable', async () => {
    const database = open();
    const controller = new AbortController();
    const reason = new Error('deadline');
    let statementError: unknown;
    let pid = 0;
    let markStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });

    const running = rejectionOf(
      database.unitOfWork(
        {},
        async () => {
          await database.sequelize.query("INSERT INTO keel_test_events (label) VALUES ('cancelled')");
          pid = (await readSession(database.sequelize)).pid;
          markStarted();
          try {
            await database.sequelize.query('SELECT pg_sleep(4)');
          } catch (error) {
            statementError = error;
            throw error;
          }
        },
        { signal: controller.signal },
      ),
    );
    await started;
    await waitForBackend(pid, (activity) => activity.state === 'active' && activity.query === 'SELECT pg_sleep(4)', 'the sleep should run');
    controller.abort(reason);
    const error = await running;
    const after = await waitForBackend(pid, (activity) => activity.state === 'idle', 'the transaction should have ended', 2_000);
    const next = await readSession(database.sequelize);

    expect(error, 'the signal reason').to.equal(reason);
    expect(String(statementError), 'the sleep, cancelled on the server').to.include('canceling statement due to user request');
    expect(after.query, 'the last statement of the backend').to.equal('ROLLBACK;');
    expect(await countRows(scratch.url, 'keel_test_events'), 'rows committed').to.equal(0);
    expect(next.pid, 'the same pooled backend, back in the pool').to.equal(pid);
  });

  it('refuses the statements sent after the signal fired between two of them (a cancel the server ignored), and rolls back', async () => {
    const database = open();
    const controller = new AbortController();
    const reason = new Error('deadline');
    const sent: string[] = [];
    database.sequelize.addHook('afterQuery', (_options, query) => {
      // Sequelize sets query.sql when it sends the statement; a refused one never gets it.
      const { sql } = query as unknown as { sql?: string };
      if (sql !== undefined) sent.push(sql);
    });

    const error = await rejectionOf(
      database.unitOfWork(
        {},
        async () => {
          await database.sequelize.query("INSERT INTO keel_test_events (label) VALUES ('before')");
          // The backend is idle in the transaction here: the cancel sent on abort finds nothing to cancel.
          controller.abort(reason);
          await new Promise((resolve) => setTimeout(resolve, 100));
          await database.sequelize.query("INSERT INTO keel_test_events (label) VALUES ('after')");
        },
        { signal: controller.signal },
      ),
    );
    const next = await database.unitOfWork({ user_id: '7' }, () => readSession(database.sequelize));

    expect(error, 'the signal reason').to.equal(reason);
    expect(
      sent.filter((sql) => sql.includes('INSERT')),
      'statements that reached the server',
    ).to.deep.equal(["INSERT INTO keel_test_events (label) VALUES ('before')"]);
    expect(await countRows(scratch.url, 'keel_test_events'), 'rows committed').to.equal(0);
    expect(next.userId, 'the connection serves the next unit of work').to.equal('7');
  });

  it('commits as before when the signal never fires', async () => {
    const database = open();

    await database.unitOfWork({}, () => database.sequelize.query("INSERT INTO keel_test_events (label) VALUES ('kept')"), {
      signal: new AbortController().signal,
    });

    expect(await countRows(scratch.url, 'keel_test_events')).to.equal(1);
  });
});

describe('idle_in_transaction_session_timeout in the session setup', () => {
  const opened: Database[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  const setting = async (database: Database): Promise<string | undefined> => {
    const [row] = await database.sequelize.query<{ setting: string }>(
      "SELECT setting FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'",
      { type: QueryTypes.SELECT },
    );
    return row?.setting;
  };

  it('is set on every new connection, from DB_IDLE_IN_TRANSACTION_MS or halfway between statement timeout and deadline', async () => {
    const configured = testDatabase({ ...BUDGETS, DB_IDLE_IN_TRANSACTION_MS: '7000' });
    const derived = testDatabase({ ...BUDGETS, REQUEST_DEADLINE_MS: '9000' });
    opened.push(configured, derived);

    expect(await setting(configured), 'configured (ms)').to.equal('7000');
    expect(await setting(derived), 'derived: (5000 + 9000) / 2 (ms)').to.equal('7000');
  });

  it('ends a transaction left idle longer than that, closing its connection on the server', async () => {
    const database = testDatabase({
      DB_CONNECT_TIMEOUT_MS: '1000',
      DB_POOL_ACQUIRE_MS: '1500',
      DB_STATEMENT_TIMEOUT_MS: '2000',
      DB_IDLE_IN_TRANSACTION_MS: '2100',
      DB_POOL_MAX: '1',
    });
    opened.push(database);

    const error = await rejectionOf(
      database.unitOfWork({}, async () => {
        const { pid } = await readSession(database.sequelize);
        // Idle in its transaction until the server ends the session (the guard is a hang guard, not the timing).
        await waitForBackend(pid, (activity) => activity.state === null, 'the server should end the idle transaction', 10_000);
        await readSession(database.sequelize);
      }),
    );

    expect(String(error)).to.match(/terminat|Connection|closed/i);
  });
});

describe('database.unitOfWork with an invalid setting name', () => {
  const opened: Database[] = [];
  const open = (overrides: Record<string, string>): Database => {
    const database = testDatabase({ ...BUDGETS, ...overrides });
    opened.push(database);
    return database;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  const invalidKeys = ['user-id', 'UserId', '1user', '', 'app.user_id', "x') ; --", 'a'.repeat(64), 'ümlaut'];

  for (const key of invalidKeys) {
    it(`rejects ${JSON.stringify(key)} with a TypeError before opening a transaction or a connection`, async () => {
      const database = open({ DB_POOL_MAX: '1' });
      const transaction = sinon.spy(database.sequelize, 'transaction');
      const work = sinon.stub().resolves('ran');

      const error = await rejectionOf(database.unitOfWork({ user_id: '42', [key]: 'value' }, work));

      expect(error).to.be.instanceOf(TypeError);
      expect(work.called, 'work called').to.equal(false);
      expect(transaction.called, 'sequelize.transaction called').to.equal(false);
      expect(database.poolStats().size, 'connections opened').to.equal(0);
    });
  }

  it('rejects a value holding a NUL character with a TypeError before opening a transaction or a connection', async () => {
    const database = open({ DB_POOL_MAX: '1' });
    const transaction = sinon.spy(database.sequelize, 'transaction');

    const error = await rejectionOf(database.unitOfWork({ user_id: "42\u0000'; DROP TABLE keel_test_events; --" }, async () => 'ran'));

    expect(error).to.be.instanceOf(TypeError);
    expect(String(error)).to.not.include('DROP');
    expect(transaction.called, 'sequelize.transaction called').to.equal(false);
    expect(database.poolStats().size, 'connections opened').to.equal(0);
  });

  it('accepts the longest valid key (63 characters: a PostgreSQL identifier)', async () => {
    const database = open({ DB_POOL_MAX: '1' });
    const key = `k${'_'.repeat(61)}9`;

    const value = await database.unitOfWork({ [key]: 'v' }, async () => {
      const [row] = await database.sequelize.query<{ v: string }>('SELECT current_setting($1, true) AS v', {
        bind: [`app.${key}`],
        type: QueryTypes.SELECT,
      });
      return row?.v;
    });

    expect(value).to.equal('v');
  });
});

describe('row-level security with database.unitOfWork', () => {
  const role = `keel_rls_${crypto.randomBytes(6).toString('hex')}`;
  let scratch: ScratchDatabase;
  let database: Database;

  before(async () => {
    scratch = await createScratchDatabase();
    await queryOnce(
      scratch.url,
      `CREATE TABLE keel_test_documents (id serial PRIMARY KEY, tenant text NOT NULL, title text NOT NULL);
       INSERT INTO keel_test_documents (tenant, title) VALUES ('acme', 'acme-1'), ('acme', 'acme-2'), ('globex', 'globex-1');
       ALTER TABLE keel_test_documents ENABLE ROW LEVEL SECURITY;
       ALTER TABLE keel_test_documents FORCE ROW LEVEL SECURITY;
       CREATE POLICY keel_test_tenant_isolation ON keel_test_documents USING (tenant = current_setting('app.tenant', true));
       CREATE ROLE ${role} NOLOGIN;
       GRANT SELECT ON keel_test_documents TO ${role};`,
    );
    database = testDatabase({ DATABASE_URL: scratch.url, DB_POOL_MAX: '2', ...BUDGETS });
  });

  after(async () => {
    await database?.close();
    await scratch?.drop();
    await queryOnce(testDatabaseUrl(), `DROP ROLE IF EXISTS ${role}`);
  });

  /** Superusers bypass RLS: the work switches to the unprivileged role for its transaction only. */
  async function titlesAsRole(settings: Record<string, string>): Promise<string[]> {
    return database.unitOfWork(settings, async () => {
      await database.sequelize.query(`SET LOCAL ROLE ${role}`);
      const rows = await database.sequelize.query<{ title: string }>('SELECT title FROM keel_test_documents ORDER BY title', {
        type: QueryTypes.SELECT,
      });
      return rows.map((row) => row.title);
    });
  }

  it('returns only the rows of the tenant in the settings', async () => {
    expect(await titlesAsRole({ tenant: 'acme' })).to.deep.equal(['acme-1', 'acme-2']);
    expect(await titlesAsRole({ tenant: 'globex' })).to.deep.equal(['globex-1']);
  });

  it('returns no rows when the settings carry no tenant', async () => {
    expect(await titlesAsRole({ user_id: '42' })).to.deep.equal([]);
  });

  it('filters two concurrent units of work by their own tenants', async () => {
    const [acme, globex, initech] = await Promise.all([
      titlesAsRole({ tenant: 'acme' }),
      titlesAsRole({ tenant: 'globex' }),
      titlesAsRole({ tenant: 'initech' }),
    ]);

    expect({ acme, globex, initech }).to.deep.equal({ acme: ['acme-1', 'acme-2'], globex: ['globex-1'], initech: [] });
  });
});

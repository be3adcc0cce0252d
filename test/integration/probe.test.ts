import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { createDatabase, type Database, type ProbeReport } from '../../lib/keel/db';
import { silentLogger, testConfig } from '../support/app';
import { createScratchDatabase, freePort, queryOnce, testDatabaseUrl, type ScratchDatabase } from '../support/database';

/** The one-row counter a probe statement bumps on the server: how many probe statements really ran. */
const COUNTING_STATEMENT = 'SELECT keel_test_probe_count()';
const COUNTER_SCHEMA = `
  CREATE TABLE keel_test_counter (n integer NOT NULL);
  INSERT INTO keel_test_counter VALUES (0);
  CREATE FUNCTION keel_test_probe_count() RETURNS int LANGUAGE sql AS $$ UPDATE keel_test_counter SET n = n + 1 RETURNING n $$;
`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function timed<T>(promise: Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now();
  const value = await promise;
  return { value, elapsedMs: performance.now() - started };
}

/** Polls until check returns a value other than undefined, or fails after timeoutMs. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** DB_PROBE_WARN_MS when a test leaves it unset (config/env.ts). */
const DEFAULT_WARN_MS = 250;

/**
 * A probe the database answered: pass, or warn when it took longer than DB_PROBE_WARN_MS, and no fault. Which
 * of the two depends on the clock (a first probe also opens its connection, which on a busy machine
 * can outlast the 250 ms default): a test about sharing, caching or recovery asserts the answer,
 * and checks the status against the probe's own measured time.
 */
function expectAnswered(report: ProbeReport | undefined, what: string): void {
  expect(report?.fault, `${what}: fault`).to.equal(undefined);
  expect(report?.status, `${what}: status for ${report?.responseTimeMs} ms`).to.equal(
    (report?.responseTimeMs ?? Infinity) > DEFAULT_WARN_MS ? 'warn' : 'pass',
  );
}

/** The same URL with another host and port (user, password and database kept). */
function viaPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

interface Listener {
  readonly port: number;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/** A TCP server that hands each accepted socket to onSocket, and destroys every socket when closed. */
async function listen(onSocket: (socket: net.Socket, track: (other: net.Socket) => void) => void): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = net.createServer((socket) => {
    accepted += 1;
    track(socket);
    onSocket(socket, track);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts connections and never answers: a database host that went silent. */
const blackHole = (): Promise<Listener> => listen(() => undefined);

/** First destroys every connection it accepts; once forwarding, relays them to the real server. */
async function flakyProxy(targetUrl: string): Promise<Listener & { forward(): void }> {
  const target = new URL(targetUrl);
  let forwarding = false;
  const listener = await listen((client, track) => {
    if (!forwarding) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  return {
    ...listener,
    forward: () => {
      forwarding = true;
    },
  };
}

describe('the database health probe (lib/keel/db/probe.ts)', () => {
  let scratch: ScratchDatabase;
  const cleanups: (() => Promise<void>)[] = [];

  /** A Database on the test server (or the given DATABASE_URL), closed after the test. */
  function openDatabase(overrides: Record<string, string> = {}, statement?: string): Database {
    const config = testConfig(overrides);
    const database = createDatabase(
      { ...config.database, url: config.database.url ?? testDatabaseUrl() },
      silentLogger(),
      statement === undefined ? {} : { statement },
    );
    cleanups.push(() => database.close());
    return database;
  }

  const probeStatementsRun = async (): Promise<number> => {
    const [row] = await queryOnce<{ n: number }>(scratch.url, 'SELECT n FROM keel_test_counter');
    return Number(row?.n);
  };

  before(async () => {
    scratch = await createScratchDatabase();
    await queryOnce(scratch.url, COUNTER_SCHEMA);
  });

  after(async () => {
    await scratch.drop();
  });

  beforeEach(async () => {
    await queryOnce(scratch.url, 'UPDATE keel_test_counter SET n = 0');
  });

  afterEach(async () => {
    // Last opened, first closed: a fake server registered after its Database goes down first.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  describe('when many callers check at once', () => {
    it('runs one probe statement for 50 concurrent checks: one report is fresh, the others share its result', async () => {
      const database = openDatabase({ DATABASE_URL: scratch.url }, COUNTING_STATEMENT);

      const reports = await Promise.all(Array.from({ length: 50 }, () => database.probe.check()));

      const fresh = reports.filter((report) => !report.cached);
      expect(fresh, 'reports with cached: false').to.have.lengthOf(1);
      expectAnswered(fresh[0], 'the fresh report');
      expect(new Set(reports.map((report) => report.status)).size, 'distinct statuses').to.equal(1);
      expect(
        reports.filter((report) => report.cached),
        'reports with cached: true',
      ).to.have.lengthOf(49);
      expect(new Set(reports.map((report) => report.checkedAt.getTime())).size, 'distinct checkedAt values').to.equal(1);
      expect(await probeStatementsRun(), 'probe statements run on the server').to.equal(1);
    });
  });

  describe('when a result is fresh', () => {
    it('reuses it within DB_PROBE_CACHE_MS and runs a new probe statement once the window has passed', async () => {
      const cacheMs = 400;
      const database = openDatabase({ DATABASE_URL: scratch.url, DB_PROBE_CACHE_MS: String(cacheMs) }, COUNTING_STATEMENT);

      const first = await database.probe.check();
      const reused = await database.probe.check();
      const countWithinWindow = await probeStatementsRun();
      await sleep(cacheMs + 100);
      const fresh = await database.probe.check();

      expectAnswered(first, 'first');
      expect(first.cached).to.equal(false);
      expect(reused).to.include({ status: first.status, cached: true });
      expect(reused.checkedAt.getTime(), 'the reused result is the first one').to.equal(first.checkedAt.getTime());
      expect(countWithinWindow, 'probe statements within the window').to.equal(1);
      expectAnswered(fresh, 'after the window');
      expect(fresh.cached).to.equal(false);
      expect(fresh.checkedAt.getTime(), 'a new result after the window').to.be.above(first.checkedAt.getTime());
      expect(await probeStatementsRun(), 'probe statements after the window').to.equal(2);
    });
  });

  describe('reuse(): the fresh result, at once', () => {
    it('is undefined before the first probe, the cached report within the window, and undefined again after it', async () => {
      const cacheMs = 400;
      const database = openDatabase({ DATABASE_URL: scratch.url, DB_PROBE_CACHE_MS: String(cacheMs) }, COUNTING_STATEMENT);

      const beforeAnyProbe = database.probe.reuse();
      const first = await database.probe.check();
      const reused = database.probe.reuse();
      await sleep(cacheMs + 100);
      const afterWindow = database.probe.reuse();

      expect(beforeAnyProbe, 'before the first probe').to.equal(undefined);
      expectAnswered(first, 'first');
      expect(reused, 'within the window').to.include({ status: first.status, cached: true });
      expect(reused?.checkedAt.getTime(), 'the first result').to.equal(first.checkedAt.getTime());
      expect(reused?.pool, 'live pool numbers').to.deep.equal(database.poolStats());
      expect(afterWindow, 'after the window').to.equal(undefined);
      expect(await probeStatementsRun(), 'reuse() never runs a statement').to.equal(1);
    });
  });

  describe('when the probe statement outlasts DB_PROBE_TIMEOUT_MS', () => {
    const timeoutMs = 500;

    it('fails with database_timeout at about the timeout, cancels the statement on the server and gets the connection back', async () => {
      const database = openDatabase(
        { DATABASE_URL: scratch.url, DB_POOL_MAX: '1', DB_PROBE_TIMEOUT_MS: String(timeoutMs), DB_PROBE_WARN_MS: '100' },
        'SELECT pg_sleep(5)',
      );
      // The connection first (ping runs SELECT 1, not the probe statement): the probe timeout is then spent on
      // the statement alone. Opened within it, on a busy machine, the connection could take all 500 ms, or leave
      // the statement so little that the cancel reaches the server before the statement, and is lost.
      await database.ping();

      const { value: report, elapsedMs } = await timed(database.probe.check());
      const failedAt = performance.now();
      // pg_stat_activity keeps the last statement of an idle backend: once cancelled, the backend
      // that ran the 5 s sleep is idle well before the sleep could have ended by itself.
      const backend = await until('the keel backend that ran pg_sleep(5) to be idle', 2_000, async () => {
        const rows = await queryOnce<{ pid: number; state: string }>(
          testDatabaseUrl(),
          "SELECT pid, state FROM pg_stat_activity WHERE datname = $1 AND application_name = 'keel' AND query = 'SELECT pg_sleep(5)'",
          [scratch.name],
        );
        return rows.length > 0 && rows.every((row) => row.state !== 'active') ? rows : undefined;
      });
      const idleAfterMs = performance.now() - failedAt;
      await until('the probe connection to be back in the pool', 2_000, () => (database.poolStats().using === 0 ? true : undefined));
      const ping = await database.ping();
      const [served] = await database.sequelize.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', { type: QueryTypes.SELECT });

      expect(report.status).to.equal('fail');
      expect(report.fault?.code).to.equal('database_timeout');
      expect(elapsedMs, 'waited for the probe timeout').to.be.at.least(timeoutMs - 5);
      expect(elapsedMs, 'a hang guard, far below the 5 s sleep').to.be.below(timeoutMs + 1_500);
      expect(idleAfterMs, 'the server stopped the sleep long before its 5 s').to.be.below(2_000);
      expect(backend, 'keel backends that ran the sleep').to.have.lengthOf(1);
      expect(backend[0]?.state).to.equal('idle');
      expect(database.poolStats().size, 'pool size').to.be.at.least(1);
      expect(ping.responseTimeMs).to.be.a('number').and.to.be.at.least(0);
      expect(served?.pid, 'the recovered connection serves the pool again').to.equal(backend[0]?.pid);
    });
  });

  describe('when the probe statement is slower than DB_PROBE_WARN_MS but within the timeout', () => {
    it('reports warn, with the response time and no fault', async () => {
      const database = openDatabase({ DB_PROBE_WARN_MS: '100', DB_PROBE_TIMEOUT_MS: '2000' }, 'SELECT pg_sleep(0.3)');

      const report = await database.probe.check();

      expect(report.status).to.equal('warn');
      expect(report.fault).to.equal(undefined);
      expect(report.responseTimeMs, 'includes the 300 ms sleep').to.be.at.least(300);
      expect(report.responseTimeMs, 'finished within the timeout').to.be.below(2_000);
    });
  });

  describe('when no connection can be had', () => {
    const probeTimeoutMs = 500;
    const hangGuardMs = probeTimeoutMs + 1_500;

    it('reports database_pool_exhausted with the pool numbers when every pooled connection is in use', async () => {
      const database = openDatabase({ DB_POOL_MAX: '1', DB_PROBE_TIMEOUT_MS: String(probeTimeoutMs), DB_PROBE_WARN_MS: '100' });
      const transaction = await database.sequelize.transaction();
      let outcome: { value: ProbeReport; elapsedMs: number };
      try {
        await database.sequelize.query('SELECT 1', { transaction });

        outcome = await timed(database.probe.check());
      } finally {
        await transaction.rollback();
      }

      expect(outcome.value.status).to.equal('fail');
      expect(outcome.value.fault?.code).to.equal('database_pool_exhausted');
      expect(outcome.value.pool).to.include({ using: 1, max: 1 });
      expect(outcome.value.pool.waiting).to.be.at.least(0);
      expect(outcome.elapsedMs, 'bounded by the probe timeout, not the 4 s acquire timeout').to.be.below(hangGuardMs);
    });

    it('reports database_unavailable when nothing listens on the database port', async () => {
      const database = openDatabase({
        DATABASE_URL: viaPort(testDatabaseUrl(), await freePort()),
        DB_PROBE_TIMEOUT_MS: String(probeTimeoutMs),
        DB_PROBE_WARN_MS: '100',
      });

      const { value: report, elapsedMs } = await timed(database.probe.check());

      expect(report.status).to.equal('fail');
      expect(report.fault?.code).to.equal('database_unavailable');
      expect(elapsedMs, 'a hang guard').to.be.below(hangGuardMs);
    });

    it('reports database_unavailable, not pool exhaustion, when the server accepts connections and never answers', async () => {
      const hole = await blackHole();
      const database = openDatabase({
        DATABASE_URL: viaPort(testDatabaseUrl(), hole.port),
        DB_POOL_MAX: '1',
        DB_CONNECT_TIMEOUT_MS: '5000',
        DB_POOL_ACQUIRE_MS: '6000',
        DB_PROBE_TIMEOUT_MS: String(probeTimeoutMs),
        DB_PROBE_WARN_MS: '100',
      });
      cleanups.push(() => hole.close());

      const { value: report, elapsedMs } = await timed(database.probe.check());

      expect(hole.accepted(), 'connections the silent server accepted').to.be.at.least(1);
      expect(report.status).to.equal('fail');
      expect(report.fault?.code).to.equal('database_unavailable');
      expect(elapsedMs, 'bounded by the probe timeout, not the 5 s connect timeout').to.be.below(hangGuardMs);
    });

    it('reports database_unavailable when the connect timeout gives up on a silent server before the probe timeout', async () => {
      const hole = await blackHole();
      const database = openDatabase({
        DATABASE_URL: viaPort(testDatabaseUrl(), hole.port),
        DB_CONNECT_TIMEOUT_MS: '300',
        DB_POOL_ACQUIRE_MS: '600',
        DB_PROBE_TIMEOUT_MS: '3000',
      });
      cleanups.push(() => hole.close());

      const { value: report, elapsedMs } = await timed(database.probe.check());

      expect(hole.accepted(), 'connections the silent server accepted').to.be.at.least(1);
      expect(report.status).to.equal('fail');
      expect(report.fault?.code).to.equal('database_unavailable');
      expect(elapsedMs, 'a hang guard, below the 3 s probe timeout').to.be.below(3_000);
    });
  });

  describe('onAnswer(): work that waits until the database answers', () => {
    it('calls the listener after each probe the database answers, never after one that fails, until stopped', async () => {
      const down = openDatabase({ DATABASE_URL: viaPort(testDatabaseUrl(), await freePort()), DB_PROBE_CACHE_MS: '0' });
      const up = openDatabase({ DATABASE_URL: scratch.url, DB_PROBE_CACHE_MS: '0' });
      const calls = { down: 0, up: 0 };
      down.probe.onAnswer(() => void (calls.down += 1));
      const stop = up.probe.onAnswer(() => void (calls.up += 1));

      const failed = await down.probe.check();
      await up.probe.check();
      await up.probe.check();
      stop();
      await up.probe.check();

      expect(failed.status).to.equal('fail');
      expect(calls).to.deep.equal({ down: 0, up: 2 });
    });

    it("hands the result out once the listener is done, so the listener's query and the caller's share one connection", async () => {
      const database = openDatabase({ DATABASE_URL: scratch.url });
      const events: string[] = [];
      database.probe.onAnswer(async () => {
        await database.sequelize.query('SELECT pg_sleep(0.1)', { type: QueryTypes.SELECT });
        events.push('listener done');
      });

      const report = await database.probe.check();
      events.push('result handed out');
      await database.sequelize.query('SELECT 1', { type: QueryTypes.SELECT });

      expectAnswered(report, 'the probe');
      expect(events).to.deep.equal(['listener done', 'result handed out']);
      expect(database.poolStats().size, 'connections opened').to.equal(1);
    });

    it('waits for a listener no longer than the probe timeout, and a listener that throws fails nothing', async () => {
      const database = openDatabase({ DATABASE_URL: scratch.url, DB_PROBE_TIMEOUT_MS: '500', DB_PROBE_WARN_MS: '400' });
      // The connection first: the 500 ms are then the listener's to spend, not a slow connect's.
      await database.ping();
      database.probe.onAnswer(() => new Promise(() => undefined));
      database.probe.onAnswer(() => {
        throw new Error('a broken listener');
      });

      const { value: report, elapsedMs } = await timed(database.probe.check());

      expect(report.status).to.be.oneOf(['pass', 'warn']);
      expect(elapsedMs, 'a hang guard: the listener never settles').to.be.below(5_000);
    });
  });

  describe('when the database comes back after a failed probe', () => {
    it('probes afresh on the first check after the cache window, and passes once the database answers, with the same Database object', async () => {
      const cacheMs = 200;
      const proxy = await flakyProxy(testDatabaseUrl());
      const database = openDatabase({
        DATABASE_URL: viaPort(testDatabaseUrl(), proxy.port),
        DB_CONNECT_TIMEOUT_MS: '500',
        DB_POOL_ACQUIRE_MS: '1000',
        DB_STATEMENT_TIMEOUT_MS: '2000',
        DB_PROBE_CACHE_MS: String(cacheMs),
      });
      cleanups.push(() => proxy.close());

      const down = await database.probe.check();
      const refused = proxy.accepted();
      proxy.forward();
      await sleep(cacheMs + 100);
      const first = await database.probe.check();
      // Its new connection, on a busy machine, can outlast the 500 ms connect timeout: then the next
      // probe, once the failed result's window has passed, tries again.
      const firstAt = performance.now();
      let back = first;
      while (back.status === 'fail' && performance.now() - firstAt < 3_000) {
        await sleep(cacheMs + 50);
        back = await database.probe.check();
      }

      expect(refused, 'connections the proxy cut while the database was down').to.be.at.least(1);
      expect(down.status).to.equal('fail');
      expect(down.fault?.code).to.equal('database_unavailable');
      expect(first.cached, 'the failure is not reused after its window').to.equal(false);
      expect(first.checkedAt.getTime(), 'a new result').to.be.above(down.checkedAt.getTime());
      if (first.status === 'fail')
        expect(first.fault?.code, 'a first probe that could not connect in time').to.equal('database_unavailable');
      expectAnswered(back, `after recovery (fault: ${back.fault?.code ?? 'none'})`);
      expect(back.cached).to.equal(false);
      expect(proxy.accepted(), 'the recovered probe went through the proxy').to.be.above(refused);
    });
  });
});

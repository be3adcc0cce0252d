import { performance } from 'node:perf_hooks';
import type { Logger } from '../../../config/logger';
import { cancelTargetOf, sendCancelRequest } from './cancel';
import { classifyDatabaseFault } from './errors';
import { databaseFault, type DatabaseFault } from './faults';
import { outsideAnyRequest } from './outside-requests';
import type { PoolAccess, PoolStats, RawConnection } from './pool';
import type { ReplicaInspection, ReplicationReport } from './replication';
import { worse, type ProbeStatus } from './status';

export type { ProbeStatus } from './status';

export interface ProbeSettings {
  readonly timeoutMs: number;
  /** A finished result is reused this long. */
  readonly cacheMs: number;
  /** Slower than this (but within the timeout) is 'warn'. */
  readonly warnMs: number;
  /** The statement the probe runs; tests inject a slow one. */
  readonly statement?: string;
  /** Run instead of the statement on a replica: its replication state, which can make the result worse. */
  readonly inspect?: ReplicaInspection;
}

export interface ProbeResult {
  readonly status: ProbeStatus;
  readonly responseTimeMs: number;
  readonly checkedAt: Date;
  /** Why the probe failed (status 'fail' only). */
  readonly fault?: DatabaseFault;
  /** The driver's or server's own message when opening a connection failed, for operators' logs only, never a body. */
  readonly reason?: string;
  /** A replica's replication state, when it answered. */
  readonly replication?: ReplicationReport;
}

export interface ProbeReport extends ProbeResult {
  /** True when this caller got a result another caller's probe produced (shared or reused). */
  readonly cached: boolean;
  readonly pool: PoolStats;
}

export interface DatabaseProbe {
  check(): Promise<ProbeReport>;
  /** Starts a probe when the latest result is older than its window and none is in flight; does not wait for it. */
  refresh(): void;
  /** The report check() would give while the latest result is still within its window, at once; otherwise undefined. */
  reuse(): ProbeReport | undefined;
  /** The latest finished result, however old; undefined before the first probe finished. */
  latest(): ProbeResult | undefined;
  /**
   * Records a failure seen outside the probe (a query that lost its connection) as the latest result, at once;
   * a probe already in flight does not overwrite it. The next probe after the window decides again.
   */
  markDown(fault: DatabaseFault): void;
  /**
   * Calls listener (in no request's context) each time a probe gets an answer from the database
   * (pass or warn), for work that must wait until the database is reachable, and waits for it
   * before handing the result out, within what is left of the probe's time budget: the listener's
   * query takes the connection the probe has just released instead of opening another beside the
   * callers that waited for the probe. Returns the function that stops it.
   */
  onAnswer(listener: AnswerListener): () => void;
}

export type AnswerListener = () => Promise<unknown> | void;

const DEFAULT_STATEMENT = 'SELECT 1';
// After a timeout the query is cancelled; the connection goes back to the pool if it then
// settles within this grace, otherwise it is destroyed.
const SETTLE_GRACE_MS = 2_000;

const elapsedSince = (started: number): number => Math.round((performance.now() - started) * 100) / 100;

function after<T>(ms: number, value: T): { promise: Promise<T>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(value), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

const TIMED_OUT = Symbol('timed out');

/**
 * pg's query_timeout gave up on the server (lib/keel/db/index.ts): the statement may still be on the wire, and the
 * connection would queue every later query behind it. Such a connection goes, it never returns to the pool.
 */
const isClientQueryTimeout = (error: unknown): boolean => error instanceof Error && error.message === 'Query read timeout';

/**
 * One probe, bounded in time for real: it gives up waiting for a pooled connection (reporting an
 * exhausted pool apart from an unreachable database) and cancels its statement on the server.
 */
async function probeOnce(pool: PoolAccess, settings: ProbeSettings, logger: Logger): Promise<ProbeResult> {
  const started = performance.now();
  const fail = (fault: DatabaseFault, error?: unknown): ProbeResult => {
    const result = { status: 'fail' as const, responseTimeMs: elapsedSince(started), checkedAt: new Date(), fault };
    return fault.cause && error instanceof Error ? { ...result, reason: error.message } : result;
  };
  const deadline = after(settings.timeoutMs, TIMED_OUT);
  try {
    const acquiring = pool.acquire();
    let connection: RawConnection | typeof TIMED_OUT;
    try {
      connection = await Promise.race([acquiring, deadline.promise]);
    } catch (error) {
      return fail(classifyDatabaseFault(error) ?? databaseFault('database_unavailable'), error);
    }
    if (connection === TIMED_OUT) {
      // Give the connection back whenever the pool hands it over.
      acquiring.then((late) => pool.release(late)).catch(() => undefined);
      const stats = pool.stats();
      // Not exhausted: opening a connection took the whole budget.
      return fail(stats.using >= stats.max ? databaseFault('database_pool_exhausted') : databaseFault('database_unavailable', 'timed_out'));
    }

    const querying = settings.inspect ? settings.inspect(connection) : connection.query(settings.statement ?? DEFAULT_STATEMENT);
    let outcome: unknown;
    try {
      outcome = await Promise.race([querying, deadline.promise]);
    } catch (error) {
      if (isClientQueryTimeout(error)) {
        void pool.destroy(connection).catch(() => undefined);
        return fail(databaseFault('database_timeout'));
      }
      pool.release(connection);
      return fail(classifyDatabaseFault(error) ?? databaseFault('database_unavailable'), error);
    }
    if (outcome === TIMED_OUT) {
      void cancelAndRecover(pool, connection, querying, logger);
      return fail(databaseFault('database_timeout'));
    }
    pool.release(connection);
    const responseTimeMs = elapsedSince(started);
    const timely: ProbeStatus = responseTimeMs > settings.warnMs ? 'warn' : 'pass';
    if (!settings.inspect) return { status: timely, responseTimeMs, checkedAt: new Date() };
    const replication = outcome as ReplicationReport;
    return { status: worse(timely, replication.status), responseTimeMs, checkedAt: new Date(), replication };
  } finally {
    deadline.cancel();
  }
}

async function cancelAndRecover(pool: PoolAccess, connection: RawConnection, querying: Promise<unknown>, logger: Logger): Promise<void> {
  const target = cancelTargetOf(connection);
  if (target) await sendCancelRequest(target, SETTLE_GRACE_MS);
  const grace = after(SETTLE_GRACE_MS, TIMED_OUT);
  const settled = await Promise.race([
    querying.then(
      () => true,
      (error: unknown) => !isClientQueryTimeout(error),
    ),
    grace.promise,
  ]);
  grace.cancel();
  if (settled === true) {
    pool.release(connection);
  } else {
    logger.warn('health probe connection did not recover after cancel; destroying it', { backendPid: connection.processID });
    await pool.destroy(connection).catch(() => undefined);
  }
}

/**
 * The database health probe shared by every caller in the process: concurrent checks join the
 * one in flight, and a finished result is reused for cacheMs. However many pings arrive, the
 * database sees at most one probe statement per window.
 */
export function createProbe(pool: PoolAccess, settings: ProbeSettings, logger: Logger): DatabaseProbe {
  let inFlight: Promise<ProbeResult> | undefined;
  let last: { result: ProbeResult; finishedAt: number } | undefined;
  const answerListeners = new Set<AnswerListener>();
  const notify = async (listener: AnswerListener): Promise<void> => {
    try {
      await outsideAnyRequest(listener);
    } catch (error) {
      logger.warn('a listener for the database probe failed', { error });
    }
  };
  const notifyAll = async (started: number): Promise<void> => {
    if (answerListeners.size === 0) return;
    const budget = after(Math.max(0, settings.timeoutMs - (performance.now() - started)), TIMED_OUT);
    await Promise.race([Promise.all([...answerListeners].map(notify)), budget.promise]);
    budget.cancel();
  };

  // Built field by field, not spread: every health ping makes one, and spreading results of two
  // shapes (with and without a fault) costs more than the rest of a /health/db answer.
  const report = (result: ProbeResult, cached: boolean): ProbeReport => {
    const { status, responseTimeMs, checkedAt, fault, reason, replication } = result;
    if (replication) return { status, responseTimeMs, checkedAt, replication, cached, pool: pool.stats() };
    if (!fault) return { status, responseTimeMs, checkedAt, cached, pool: pool.stats() };
    return reason === undefined
      ? { status, responseTimeMs, checkedAt, fault, cached, pool: pool.stats() }
      : { status, responseTimeMs, checkedAt, fault, reason, cached, pool: pool.stats() };
  };

  const reuse = (): ProbeReport | undefined =>
    last && performance.now() - last.finishedAt < settings.cacheMs ? report(last.result, true) : undefined;

  const probe: DatabaseProbe = {
    latest: () => last?.result,
    reuse,
    refresh() {
      // Cheaper than check(), which builds a report: the read routing calls it on every read.
      if (inFlight || (last && performance.now() - last.finishedAt < settings.cacheMs)) return;
      void probe.check();
    },
    markDown(fault) {
      last = { result: { status: 'fail', responseTimeMs: 0, checkedAt: new Date(), fault }, finishedAt: performance.now() };
    },
    onAnswer(listener) {
      answerListeners.add(listener);
      return () => answerListeners.delete(listener);
    },
    async check() {
      const reused = reuse();
      if (reused) return reused;
      if (inFlight) return report(await inFlight, true);
      const started = performance.now();
      inFlight = probeOnce(pool, settings, logger)
        .catch((error: unknown): ProbeResult => {
          logger.warn('database probe failed unexpectedly', { error });
          const fault = classifyDatabaseFault(error) ?? databaseFault('database_unavailable');
          const reason = fault.cause && error instanceof Error ? { reason: error.message } : {};
          return { status: 'fail', responseTimeMs: elapsedSince(started), checkedAt: new Date(), fault, ...reason };
        })
        .then(async (result) => {
          // Begun before a markDown: the failure seen since is the newer news.
          if (!last || last.finishedAt <= started) last = { result, finishedAt: performance.now() };
          if (result.status === 'fail')
            logger.debug('database probe failed', { code: result.fault?.code, responseTimeMs: result.responseTimeMs });
          else await notifyAll(started);
          inFlight = undefined;
          return last.result;
        });
      return report(await inFlight, false);
    },
  };
  return probe;
}

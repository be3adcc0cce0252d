import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/env';
import type { Logger } from '../config/logger';
import type { EmbeddedDatabase } from '../lib/keel/db/embedded';
import { startEmbedded } from './boot';
import { serveClusterMetrics } from './cluster-metrics';
import { CrashWindow } from './crash-window';

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
/** A worker that lived this long was healthy: its crash starts the backoff over. */
const HEALTHY_UPTIME_MS = 10_000;
/** This many worker crashes within the window make the primary give up and exit 1 (docs/operations.md#workers). */
export const CRASH_LIMIT = 5;
export const CRASH_WINDOW_MS = 60_000;
/** Set in a worker's environment when its DATABASE_URL is the embedded PostgreSQL the primary runs. */
const DATABASE_RUN_BY_PRIMARY = 'KEEL_DATABASE_RUN_BY_PRIMARY';

/** In a worker: its database is the primary's embedded PostgreSQL, which the same Ctrl-C stops. */
export function databaseRunByPrimary(): boolean {
  return cluster.isWorker && process.env[DATABASE_RUN_BY_PRIMARY] === '1';
}

/**
 * The cluster primary (WEB_CONCURRENCY > 1): it serves nothing itself. It starts the workers,
 * each with its own pool; replaces a worker that crashes, after a growing delay, until
 * CRASH_LIMIT crashes within CRASH_WINDOW_MS: then it stops the workers left and exits 1. On
 * SIGTERM or SIGINT it forwards the signal, waits for every worker's graceful shutdown within the
 * same deadline, and exits 0 only if all of them exited 0.
 */
export async function runPrimary(config: Config, logger: Logger): Promise<void> {
  // One embedded database for all workers, migrated once, before any worker starts.
  let shuttingDown = false;
  const embedded: EmbeddedDatabase | undefined = config.database.url
    ? undefined
    : await startEmbedded(config, logger, { migrate: true, stopExpected: () => shuttingDown });
  const workerEnv = embedded ? { DATABASE_URL: embedded.url, [DATABASE_RUN_BY_PRIMARY]: '1' } : {};
  let consecutiveCrashes = 0;
  let gaveUp = false;
  const crashes = new CrashWindow(CRASH_LIMIT, CRASH_WINDOW_MS);
  const startedAt = new Map<number, number>();
  const exitCodes: number[] = [];

  const fork = (): Worker => {
    const worker = cluster.fork(workerEnv);
    startedAt.set(worker.id, Date.now());
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? Date.now());
    startedAt.delete(worker.id);
    if (shuttingDown) {
      exitCodes.push(code ?? 1);
      logger.info('worker stopped', { worker: worker.id, pid: worker.process.pid, code, signal });
      return;
    }
    if (crashes.record(Date.now())) {
      const message = `workers crashed ${crashes.count} times within ${CRASH_WINDOW_MS / 1000} s; exiting so the platform restarts or alerts`;
      logger.error(message, { worker: worker.id, pid: worker.process.pid, code, signal, livedMs: lived });
      process.stderr.write(`keel: ${message}\n`);
      gaveUp = true;
      shutdown('SIGTERM');
      return;
    }
    consecutiveCrashes = lived >= HEALTHY_UPTIME_MS ? 1 : consecutiveCrashes + 1;
    const delayMs = Math.min(FIRST_BACKOFF_MS * 2 ** (consecutiveCrashes - 1), MAX_BACKOFF_MS);
    logger.error('worker died; starting a replacement', {
      worker: worker.id,
      pid: worker.process.pid,
      code,
      signal,
      livedMs: lived,
      delayMs,
    });
    setTimeout(() => {
      if (!shuttingDown) fork();
    }, delayMs);
  });

  const shutdown = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      // A terminal's Ctrl-C reaches the whole process group, and npm forwards it again: nothing to act on.
      logger.debug('shutdown already in progress; signal ignored', { signal });
      return;
    }
    shuttingDown = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    logger.info('shutting down workers', { signal, workers: workers.length, timeoutMs: config.shutdown.timeoutMs });
    for (const worker of workers) worker.process.kill(signal);
    // Workers keep their own deadline; this one only catches a worker that cannot exit at all.
    const deadline = setTimeout(() => {
      const left = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
      logger.error('shutdown deadline passed; killing the workers still running', { workers: left.map((worker) => worker.process.pid) });
      for (const worker of left) worker.process.kill('SIGKILL');
      void finish(1);
    }, config.shutdown.timeoutMs + 1_000);
    const finish = async (code: number): Promise<void> => {
      clearTimeout(deadline);
      await embedded?.stop();
      logger.info('shutdown complete', { code });
      process.exit(code);
    };
    const waitForAll = (): void => {
      if (Object.keys(cluster.workers ?? {}).length === 0) void finish(!gaveUp && exitCodes.every((code) => code === 0) ? 0 : 1);
      else setTimeout(waitForAll, 50);
    };
    waitForAll();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  if (config.metrics.enabled) serveClusterMetrics(logger);
  logger.info('starting workers', { workers: config.workers, pid: process.pid });
  for (let index = 0; index < config.workers; index += 1) fork();
}

#!/usr/bin/env node
// The composition root: reads process.env (as only bin and config may), wires the parts together,
// listens and handles signals. Shaped after express-generator's bin/www.
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../lib/keel/http';
import { verifierFor } from '../lib/keel/auth';
import { createLifecycle } from '../lib/keel/http/lifecycle';
import { createMetrics, type Metrics } from '../lib/keel/http/metrics';
import { MODELS } from '../app/models';
import { requestSettings } from '../app/request-settings';
import { ROUTES } from '../app/routes';
import { initModels } from '../lib/keel/models';
import { sendConsoleToLogger, sendWarningsToLogger } from '../config/console';
import { isDeployed } from '../config/deployed';
import type { Config } from '../config/env';
import { createLogger, type Logger } from '../config/logger';
import { readPackageInfo } from '../config/project';
import { createDatabase, type Database } from '../lib/keel/db';
import type { EmbeddedDatabase } from '../lib/keel/db/embedded';
import { authBootLine, databaseBootLine, developmentDefaultsWarning, loadConfigOrExit, startEmbedded, startupFailureMessage } from './boot';
import { loadOrCreateLocalIssuerKey } from '../lib/keel/auth/local-issuer';
import { databaseRunByPrimary, runPrimary } from './cluster';
import { clusterScrape } from './cluster-metrics';
import { disableAllocationSitePretenuring } from './heap-tuning';
import { checkDatabaseRoleWhenReachable } from './role-guard';
import { createShutdown } from './shutdown';
import { logContextFields, startTracingIfOn, TRACE_FLUSH_TIMEOUT_MS } from './tracing';
import type { Tracing } from '../lib/keel/tracing';

/** This process's tracing, once runServer has started it (never in a cluster's primary, which serves nothing). */
let tracing: Tracing | undefined;

function onError(error: NodeJS.ErrnoException, port: number, logger: Logger): void {
  // A cluster worker's listen is a bind in the primary: its failure comes back as syscall 'bind'.
  if (error.syscall !== 'listen' && error.syscall !== 'bind') throw error;
  const messages: Record<string, string> = {
    EACCES: `port ${port} requires elevated privileges; choose another PORT`,
    EADDRINUSE: `port ${port} is already in use; stop the other process or choose another PORT`,
  };
  const message = error.code ? messages[error.code] : undefined;
  if (!message) throw error;
  logger.error(message, { code: error.code });
  process.stderr.write(`keel: ${message}\n`);
  process.exit(1);
}

function onListening(server: http.Server, logger: Logger, config: Config): void {
  const address = server.address() as AddressInfo;
  logger.info('listening', { address: address.address, port: address.port, env: config.env, pid: process.pid });
}

/**
 * Prometheus metrics over this process's pools and probes (each worker has its own); a cluster
 * worker's /metrics serves the whole process tree's, aggregated by the primary, with its Node
 * process metrics labelled by the worker's cluster id (a replacement worker gets a new one).
 */
function metricsFor(database: Database, tracing: Tracing | undefined): Metrics {
  const metrics = createMetrics(
    {
      pools: () => [
        { pool: 'primary', stats: database.poolStats() },
        ...database.replicas.map((replica) => ({ pool: 'replica' as const, replica: replica.server, stats: replica.poolStats() })),
      ],
      probes: () => [
        { pool: 'primary', result: database.probe.latest() },
        ...database.replicas.map((replica) => ({ pool: 'replica' as const, replica: replica.server, result: replica.probe.latest() })),
      ],
      acquires: (listener) => database.onAcquire(listener),
      ...(cluster.worker ? { worker: String(cluster.worker.id) } : {}),
      ...(tracing ? { droppedSpans: tracing.droppedSpans } : {}),
    },
    { exemplars: tracing !== undefined },
  );
  return cluster.isWorker ? { ...metrics, scrape: clusterScrape(metrics.registry) } : metrics;
}

/** One server process: the whole service when WEB_CONCURRENCY=1, else one cluster worker. */
async function runServer(config: Config, logger: Logger): Promise<void> {
  const { version } = readPackageInfo();
  const lifecycle = createLifecycle();
  // Ctrl-C reaches the embedded PostgreSQL too (this process's, or a cluster primary's): shutting down, its
  // stop and the sessions it ends are expected. An external database ending sessions while keel drains is a fault.
  const shuttingDown = (): boolean => lifecycle.phase === 'draining';
  const embedded = config.database.url ? undefined : await startEmbedded(config, logger, { migrate: true, stopExpected: shuttingDown });
  const databaseIsEmbedded = embedded !== undefined || databaseRunByPrimary();
  tracing = startTracingIfOn(config, logger);
  const database = createDatabase({ ...config.database, url: config.database.url ?? (embedded as EmbeddedDatabase).url }, logger, {
    disconnectsExpected: () => databaseIsEmbedded && shuttingDown(),
    tracer: tracing?.database,
  });
  // Every model of app/models/index.ts, defined once on this pool, then associated.
  initModels(database.sequelize, MODELS);
  const metrics = config.metrics.enabled ? metricsFor(database, tracing) : undefined;
  const auth = await verifierFor(config.auth, logger);
  const app = createApp({
    config,
    logger,
    database,
    lifecycle,
    version,
    auth,
    routes: ROUTES,
    requestSettings,
    ...(metrics ? { metrics } : {}),
    ...(tracing ? { tracing: tracing.request } : {}),
  });

  // Server timeouts set on purpose; the reasons are in docs/operations.md#http-timeouts.
  const server = http.createServer(
    {
      keepAliveTimeout: config.http.keepAliveTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      headersTimeout: config.http.headersTimeoutMs,
      // How often Node checks the two timeouts above (30 s by default, which would let a
      // trickled request outlive its timeout by up to that much).
      connectionsCheckingInterval: 1_000,
    },
    app,
  );
  server.on('error', (error: NodeJS.ErrnoException) => onError(error, config.port, logger));
  server.on('listening', () => {
    lifecycle.markServing();
    onListening(server, logger, config);
  });
  const shutdown = createShutdown({
    server,
    lifecycle,
    logger,
    timeoutMs: config.shutdown.timeoutMs,
    drainDelayMs: config.shutdown.drainDelayMs,
    closeResources: async (remainingMs) => {
      if (auth !== 'off') auth.keys.close();
      const started = Date.now();
      // The last requests' spans, within a bound of their own: the pool still gets the rest of the deadline.
      if (tracing && !(await tracing.shutdown(Math.min(TRACE_FLUSH_TIMEOUT_MS, remainingMs / 2)))) {
        logger.warn('traces not all exported before shutdown; the rest are dropped', { dropped: tracing.droppedSpans() });
      }
      await database.close(Math.max(remainingMs - (Date.now() - started), 100));
      await embedded?.stop();
    },
    describeResources: () => ({ pool: database.poolStats() }),
    exit: (code) => process.exit(code),
  });
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  server.listen(config.port);

  // Whether keel's database role is bound by row-level security, once the database answers.
  checkDatabaseRoleWhenReachable(database, config, logger);
  // Warm the pool without blocking boot: the service must come up while the database is down.
  void database.probe.check().then((report) => {
    const line = databaseBootLine(report);
    logger.log(line.level, line.message, line.fields);
  });
}

async function main(): Promise<void> {
  disableAllocationSitePretenuring();
  const { config, fromDotEnv } = loadConfigOrExit();
  // Every line written while serving a request carries its request id, however deep the caller.
  const logger = createLogger(
    config,
    process.stdout,
    logContextFields(config, () => tracing),
  );
  if (isDeployed(config.env)) {
    sendConsoleToLogger(logger);
    sendWarningsToLogger(logger);
  }
  process.on('uncaughtException', (error) => {
    logger.error('uncaught exception; exiting', { error });
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled promise rejection; exiting', { error: reason });
    process.exit(1);
  });
  if (fromDotEnv.length > 0 && cluster.isPrimary) logger.info('read .env', { variables: fromDotEnv });
  const warning = cluster.isPrimary ? developmentDefaultsWarning(config, process.env.NODE_ENV) : undefined;
  if (warning) logger.warn(warning);
  if (cluster.isPrimary) {
    const line = authBootLine(config);
    logger.log(line.level, line.message, line.fields);
  }
  if (config.workers > 1 && cluster.isPrimary) {
    // Made once, before the workers start, so that they all verify with the key npm run token signs with.
    if (config.auth.keys.from === 'local' && config.auth.keys.file) await loadOrCreateLocalIssuerKey(config.auth.keys.file);
    await runPrimary(config, logger);
  } else await runServer(config, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(startupFailureMessage(error));
  process.exit(1);
});

import { Router, type Response } from 'express';
import type { DatabaseProbe, MigrationMonitor, MigrationState, ProbeReport } from '../../db';
import type { Lifecycle } from '../lifecycle';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { databaseHealthBody, HEALTH_CONTENT_TYPE, livenessBody, readinessBody } from '../views/health';

/** What the health endpoints need from the database. */
export interface HealthDatabase {
  readonly probe: Pick<DatabaseProbe, 'check'>;
  /** Present when read replicas are configured. */
  readonly replicaProbe?: Pick<DatabaseProbe, 'check'> | undefined;
  readonly migrations: Pick<MigrationMonitor, 'current'>;
}

export interface HealthDeps {
  readonly version: string;
  readonly database: HealthDatabase;
  readonly lifecycle: Pick<Lifecycle, 'phase'>;
  /** What pending migrations make readiness (MIGRATIONS_PENDING_READINESS). */
  readonly pendingMigrations: 'warn' | 'fail';
  /** Injected for tests; defaults to the real clock and process uptime. */
  readonly now?: () => Date;
  readonly uptimeSeconds?: () => number;
}

const READ_METHODS = ['GET', 'HEAD'] as const;

/**
 * Writes a health body without res.send: an ETag (a hash of every body) is useless on a
 * no-store response that load balancers fetch every few seconds. Node sets Content-Length and
 * drops the body for HEAD.
 */
function sendHealth(res: Response, status: number, body: object): void {
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', HEALTH_CONTENT_TYPE);
  res.end(JSON.stringify(body));
}

/**
 * /health is liveness and never touches the database; /health/db reports the database through
 * the shared probe; /health/ready says whether a load balancer should route traffic here.
 */
export function healthController(deps: HealthDeps): Router {
  const now = deps.now ?? (() => new Date());
  const uptime = deps.uptimeSeconds ?? (() => process.uptime());
  const router = Router();
  // Only asked once the probe got an answer: a down database must not make health pings wait.
  const migrationsIfReachable = async (report: ProbeReport): Promise<MigrationState | undefined> =>
    report.status === 'fail' ? undefined : deps.database.migrations.current();

  router
    .route('/')
    .get((_req, res) => {
      sendHealth(res, 200, livenessBody({ version: deps.version, uptimeSeconds: uptime(), now: now() }));
    })
    .all(methodNotAllowed(READ_METHODS));

  router
    .route('/db')
    .get(async (_req, res) => {
      const [report, replica] = await Promise.all([deps.database.probe.check(), deps.database.replicaProbe?.check()]);
      const migrations = await migrationsIfReachable(report);
      if (report.status === 'fail') res.set('Retry-After', '1');
      sendHealth(res, report.status === 'fail' ? 503 : 200, databaseHealthBody(report, migrations, replica));
    })
    .all(methodNotAllowed(READ_METHODS));

  router
    .route('/ready')
    .get(async (_req, res) => {
      const phase = deps.lifecycle.phase;
      // Starting or draining: not ready, whatever the database says, and no probe is spent on it.
      const [database, replica] =
        phase === 'serving' ? await Promise.all([deps.database.probe.check(), deps.database.replicaProbe?.check()]) : [];
      const migrations = database ? await migrationsIfReachable(database) : undefined;
      const body = readinessBody({
        phase: deps.lifecycle.phase,
        now: now(),
        pendingMigrations: deps.pendingMigrations,
        ...(database ? { database } : {}),
        ...(replica ? { replica } : {}),
        ...(migrations ? { migrations } : {}),
      });
      if (body.status === 'fail') res.set('Retry-After', '1');
      sendHealth(res, body.status === 'fail' ? 503 : 200, body);
    })
    .all(methodNotAllowed(READ_METHODS));

  return router;
}

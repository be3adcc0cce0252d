import { Router } from 'express';
import type { Database } from '../../db';
import type { Lifecycle } from '../lifecycle';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { databaseHealthBody, HEALTH_CONTENT_TYPE, livenessBody, readinessBody } from '../views/health';

export interface HealthDeps {
  readonly version: string;
  readonly database: Pick<Database, 'probe'>;
  readonly lifecycle: Pick<Lifecycle, 'phase'>;
  /** Injected for tests; defaults to the real clock and process uptime. */
  readonly now?: () => Date;
  readonly uptimeSeconds?: () => number;
}

const READ_METHODS = ['GET', 'HEAD'] as const;

/**
 * /health is liveness and never touches the database; /health/db reports the database through
 * the shared probe; /health/ready says whether a load balancer should route traffic here.
 */
export function healthController(deps: HealthDeps): Router {
  const now = deps.now ?? (() => new Date());
  const uptime = deps.uptimeSeconds ?? (() => process.uptime());
  const router = Router();

  router.use((_req, res, next) => {
    res.set({ 'Cache-Control': 'no-store', 'Content-Type': HEALTH_CONTENT_TYPE });
    next();
  });

  router
    .route('/')
    .get((_req, res) => {
      res.send(JSON.stringify(livenessBody({ version: deps.version, uptimeSeconds: uptime(), now: now() })));
    })
    .all(methodNotAllowed(READ_METHODS));

  router
    .route('/db')
    .get(async (_req, res) => {
      const report = await deps.database.probe.check();
      res.status(report.status === 'fail' ? 503 : 200).send(JSON.stringify(databaseHealthBody(report)));
    })
    .all(methodNotAllowed(READ_METHODS));

  router
    .route('/ready')
    .get(async (_req, res) => {
      const phase = deps.lifecycle.phase;
      // Starting or draining: not ready, whatever the database says, and no probe is spent on it.
      const database = phase === 'serving' ? await deps.database.probe.check() : undefined;
      const body = readinessBody({ phase: deps.lifecycle.phase, now: now(), ...(database ? { database } : {}) });
      if (body.status === 'fail') res.set('Retry-After', '1');
      res.status(body.status === 'fail' ? 503 : 200).send(JSON.stringify(body));
    })
    .all(methodNotAllowed(READ_METHODS));

  return router;
}

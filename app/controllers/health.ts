import { Router, type NextFunction, type Response } from 'express';
import type { Lifecycle } from '../lifecycle';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { databaseHealthBody, HEALTH_CONTENT_TYPE, livenessBody, readinessBody } from '../views/health';
import { databaseState, type DatabaseState, type HealthDatabase } from './database-state';

export interface HealthDeps {
  readonly version: string;
  readonly database: HealthDatabase;
  readonly lifecycle: Pick<Lifecycle, 'phase'>;
  /** What pending migrations make readiness (MIGRATIONS_PENDING_READINESS). */
  readonly pendingMigrations: 'warn' | 'fail';
  /** What an exhausted pool makes readiness (POOL_EXHAUSTED_READINESS). */
  readonly poolExhausted: 'warn' | 'fail';
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

/** Calls answer with the value, at once when it is at hand; a failure on the way goes to the error middleware. */
function whenKnown<T>(value: T | Promise<T>, answer: (known: T) => void, next: NextFunction): void {
  if (value instanceof Promise) value.then(answer).catch(next);
  else answer(value);
}

/**
 * /health is liveness and never touches the database; /health/db reports the database through
 * the shared probe; /health/ready says whether a load balancer should route traffic here.
 */
export function healthController(deps: HealthDeps): Router {
  const now = deps.now ?? (() => new Date());
  const uptime = deps.uptimeSeconds ?? (() => process.uptime());
  const router = Router();
  router
    .route('/')
    .get((_req, res) => {
      sendHealth(res, 200, livenessBody({ version: deps.version, uptimeSeconds: uptime(), now: now() }));
    })
    .all(methodNotAllowed(READ_METHODS));

  router
    .route('/db')
    .get((_req, res, next) => {
      whenKnown(
        databaseState(deps.database),
        ({ report, replica, migrations }) => {
          if (report.status === 'fail') res.setHeader('Retry-After', '1');
          sendHealth(res, report.status === 'fail' ? 503 : 200, databaseHealthBody(report, migrations, replica));
        },
        next,
      );
    })
    .all(methodNotAllowed(READ_METHODS));

  router
    .route('/ready')
    .get((_req, res, next) => {
      const answer = (state: DatabaseState | undefined): void => {
        const body = readinessBody({
          phase: deps.lifecycle.phase,
          now: now(),
          pendingMigrations: deps.pendingMigrations,
          poolExhausted: deps.poolExhausted,
          database: state?.report,
          replica: state?.replica,
          migrations: state?.migrations,
        });
        if (body.status === 'fail') res.setHeader('Retry-After', '1');
        sendHealth(res, body.status === 'fail' ? 503 : 200, body);
      };
      // Starting or draining: not ready, whatever the database says, and no probe is spent on it.
      if (deps.lifecycle.phase === 'serving') whenKnown(databaseState(deps.database), answer, next);
      else answer(undefined);
    })
    .all(methodNotAllowed(READ_METHODS));

  return router;
}

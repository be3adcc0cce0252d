import { performance } from 'node:perf_hooks';
import { Router } from 'express';
import type { Database } from '../../db';
import { classifyDatabaseFault } from '../../db/errors';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { databaseHealthBody, HEALTH_CONTENT_TYPE, livenessBody, type DatabaseCheck } from '../views/health';

export interface HealthDeps {
  readonly version: string;
  readonly database: Pick<Database, 'ping' | 'poolStats'>;
  /** Injected for tests; defaults to the real clock and process uptime. */
  readonly now?: () => Date;
  readonly uptimeSeconds?: () => number;
}

const READ_METHODS = ['GET', 'HEAD'] as const;

async function checkDatabase(database: HealthDeps['database'], now: () => Date): Promise<DatabaseCheck> {
  const started = performance.now();
  try {
    const { responseTimeMs } = await database.ping();
    return { ok: true, responseTimeMs, checkedAt: now(), pool: database.poolStats() };
  } catch (error) {
    const fault = classifyDatabaseFault(error) ?? { code: 'database_unavailable', detail: 'The database check failed.' };
    const responseTimeMs = Math.round((performance.now() - started) * 100) / 100;
    return { ok: false, responseTimeMs, checkedAt: now(), pool: database.poolStats(), ...fault };
  }
}

/** /health is liveness and never touches the database; /health/db reports the database. */
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
      const check = await checkDatabase(deps.database, now);
      res.status(check.ok ? 200 : 503).send(JSON.stringify(databaseHealthBody(check)));
    })
    .all(methodNotAllowed(READ_METHODS));

  return router;
}

// Patches Express so a rejected promise from an async handler reaches the error middleware.
// Imported here, before any router is built, and nowhere else.
import 'express-async-errors';
import express, { type Express } from 'express';
import type { Config } from '../config/env';
import type { Logger } from '../config/logger';
import type { HealthDatabase } from './controllers/database-state';
import { healthController } from './controllers/health';
import { metricsController } from './controllers/metrics';
import { openApiController } from './controllers/openapi';
import type { Lifecycle } from './lifecycle';
import type { Metrics } from './metrics';
import { jsonBody } from './middleware/body-limit';
import { requestDeadline } from './middleware/deadline';
import { closeConnectionsWhileDraining } from './middleware/draining';
import { errorHandler } from './middleware/error-handler';
import { notFound } from './middleware/not-found';
import { requestId } from './middleware/request-id';
import { requestLog } from './middleware/request-log';
import { limitUrlLength } from './middleware/uri-length';
import { requestMetrics } from './middleware/request-metrics';
import { securityHeaders } from './middleware/security-headers';
import { mountedAt } from './middleware/route-template';

export interface AppDeps {
  readonly config: Pick<Config, 'env' | 'http' | 'health' | 'metrics'>;
  readonly logger: Logger;
  readonly database: HealthDatabase;
  readonly lifecycle: Pick<Lifecycle, 'phase'>;
  readonly version: string;
  /** Prometheus metrics; /metrics is served when given and config.metrics.enabled. */
  readonly metrics?: Metrics;
}

/** The middleware stack and the controllers. No listening, no environment reads, no I/O. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('env', deps.config.env === 'development' ? 'development' : 'production');
  // Deployed behind exactly one router (Heroku's, or a load balancer): req.ip is the address it
  // saw, and whatever a client puts in X-Forwarded-For before that hop is ignored.
  app.set('trust proxy', deps.config.env === 'staging' || deps.config.env === 'production' ? 1 : false);
  // No route of ours takes nested query objects: the simple parser cannot build __proto__ keys.
  app.set('query parser', 'simple');

  app.use(securityHeaders());
  app.use(requestId(deps.logger));
  app.use(requestLog());
  if (deps.metrics) app.use(requestMetrics(deps.metrics));
  app.use(limitUrlLength());
  app.use(closeConnectionsWhileDraining(deps.lifecycle));
  app.use(requestDeadline(deps.config.http.requestDeadlineMs, deps.logger));
  app.use(jsonBody(deps.config.http.jsonBodyLimitBytes));

  app.use(
    '/health',
    mountedAt('/health'),
    healthController({
      version: deps.version,
      database: deps.database,
      lifecycle: deps.lifecycle,
      pendingMigrations: deps.config.health.pendingMigrations,
      poolExhausted: deps.config.health.poolExhausted,
    }),
  );
  app.use(openApiController(deps.version));

  if (deps.metrics && deps.config.metrics.enabled) {
    app.use('/metrics', mountedAt('/metrics'), metricsController(deps.metrics, deps.config.metrics.token));
  }

  app.use(notFound());
  app.use(errorHandler(deps.logger));
  return app;
}

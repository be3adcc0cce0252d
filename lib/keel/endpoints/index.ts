import type { RouteEntry } from '../http/routes';
import { docsController } from './docs';
import { healthController, getDatabaseHealth, getLiveness, getReadiness } from './health';
import { getMetrics, metricsController } from './metrics';
import { getOpenApiDocument, openApiController } from './openapi';

/** keel's own endpoints: health, the OpenAPI document, the metrics and the documentation page. */
export const KEEL_ROUTES: readonly RouteEntry[] = [
  {
    path: '/health',
    operations: [getLiveness, getDatabaseHealth, getReadiness],
    access: 'public',
    router: (deps) =>
      healthController({
        version: deps.version,
        database: deps.database,
        lifecycle: deps.lifecycle,
        pendingMigrations: deps.config.health.pendingMigrations,
        poolExhausted: deps.config.health.poolExhausted,
        identityProvider: deps.auth === 'off' ? undefined : deps.auth?.keys,
      }),
  },
  {
    path: '/openapi.json',
    operations: [getOpenApiDocument],
    access: 'public',
    router: (deps) => openApiController(deps.version, deps.routes, deps.auth !== 'off'),
  },
  {
    path: '/metrics',
    operations: [getMetrics],
    // Not a caller's route: scrapers send METRICS_TOKEN, which the controller checks.
    access: 'public',
    router: (deps) =>
      deps.metrics && deps.config.metrics.enabled ? metricsController(deps.metrics, deps.config.metrics.token) : undefined,
  },
  { path: '/docs', operations: [], access: 'public', router: (deps) => (deps.config.apiDocs.enabled ? docsController() : undefined) },
];

import type { Router } from 'express';
import type { Access } from './access';
import { docsController } from './controllers/docs';
import { healthController, getDatabaseHealth, getLiveness, getReadiness } from './controllers/health';
import { getMetrics, metricsController } from './controllers/metrics';
import { getOpenApiDocument, openApiController } from './controllers/openapi';
import type { AppDeps } from './index';
import type { Operation } from './operation';
import type { UnitOfWork } from './unit-of-work';

/** What a route table entry's router is built from. */
export interface RouteDeps extends AppDeps {
  /** The whole table, as mounted (the OpenAPI document describes it). */
  readonly routes: readonly RouteEntry[];
  /** `unitOfWork(req, async () => …)`: one transaction with the request's settings (app/request-settings.ts). */
  readonly unitOfWork: UnitOfWork;
}

/**
 * One feature: where it is mounted, the operations it serves (they make its part of the OpenAPI
 * document, and any other method on their paths is answered 405), who may call them, and its router.
 */
export interface RouteEntry {
  readonly path: string;
  /** None for a page for people (/docs): not part of the API, the document lists its path under x-pages. */
  readonly operations: readonly Operation[];
  /** 'public', 'authenticated' (when left out) or the scopes its reads and writes need: see app/access.ts. */
  readonly access?: Access;
  /** undefined: the feature is off in this configuration, and its path answers 404. */
  readonly router: (deps: RouteDeps) => Router | undefined;
}

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

/** Every route of the service, mounted in this order by createApp. Add your resources here. */
export const ROUTES: readonly RouteEntry[] = [
  ...KEEL_ROUTES,
  // generate:resource adds routes above this line
];

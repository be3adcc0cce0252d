import type { Router } from 'express';
import type { Config } from '../../../config/env';
import type { Logger } from '../../../config/logger';
import type { TokenVerifier } from '../auth/verifier';
import type { Database } from '../db';
import type { Access } from './access';
import type { HealthDatabase } from './health-state';
import type { Lifecycle } from './lifecycle';
import type { Metrics } from './metrics';
import type { Operation } from './operation';
import type { RequestSettingsHook } from './request-settings';
import type { RequestTracing } from './tracing';
import type { UnitOfWork } from './unit-of-work';

/** What createApp builds the service from: bin/www wires them, the suite's apps too. */
export interface AppDeps {
  readonly config: Pick<Config, 'env' | 'http' | 'health' | 'metrics' | 'apiDocs'>;
  readonly logger: Logger;
  readonly database: HealthDatabase & Pick<Database, 'unitOfWork'>;
  readonly lifecycle: Pick<Lifecycle, 'phase'>;
  readonly version: string;
  /** Prometheus metrics; /metrics is served when given and config.metrics.enabled. */
  readonly metrics?: Metrics;
  /** The route table, mounted in its order: the service's is app/routes.ts. */
  readonly routes: readonly RouteEntry[];
  /** Caller → unit-of-work settings: the service's is app/request-settings.ts. */
  readonly requestSettings: RequestSettingsHook;
  /**
   * Verifies the bearer tokens of every route that is not public (lib/keel/auth); 'off' (AUTH=off): every
   * route is public. Without it, no token verifies: a route that needs a caller answers 401, never publicly.
   */
  readonly auth?: TokenVerifier | 'off';
  /** Server spans (lib/keel/tracing), when tracing is on; without it nothing is traced. */
  readonly tracing?: RequestTracing;
}

/** What a route table entry's router is built from. */
export interface RouteDeps extends AppDeps {
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
  /** 'public', 'authenticated' (when left out) or the scopes its reads and writes need: see lib/keel/http/access.ts. */
  readonly access?: Access;
  /** undefined: the feature is off in this configuration, and its path answers 404. */
  readonly router: (deps: RouteDeps) => Router | undefined;
}

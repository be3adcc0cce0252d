// Patches Express so a rejected promise from an async handler reaches the error middleware.
// Imported here, before any router is built, and nowhere else.
import 'express-async-errors';
import express, { Router, type Express } from 'express';
import { requirementOf } from './access';
import { isDeployed } from '../../../config/deployed';
import { REFUSE_EVERY_TOKEN, type TokenVerifier } from '../auth/verifier';
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
import { methodNotAllowed } from './middleware/method-not-allowed';
import { expressPath } from './operation';
import { authenticate } from './middleware/authenticate';
import type { RequestSettingsHook } from './request-settings';
import type { AppDeps, RouteDeps, RouteEntry } from './routes';
import { createUnitOfWork } from './unit-of-work';

/**
 * Any method an entry's paths do not serve is answered 405 with Allow. Added to the entry's own
 * router: Express answers OPTIONS by itself when a request leaves a router unanswered.
 */
function answerOtherMethods(router: Router, entry: RouteEntry): Router {
  const methods = new Map<string, string[]>();
  for (const { method, path } of entry.operations) {
    const allowed = methods.get(path) ?? [];
    allowed.push(method.toUpperCase(), ...(method === 'get' ? ['HEAD'] : []));
    methods.set(path, allowed);
  }
  for (const [path, allowed] of methods) router.all(expressPath(path), methodNotAllowed(allowed));
  return router;
}

/**
 * The caller checks of an entry's operations (access in the route table): a router that verifies the
 * token of each operation that needs one, then lets the request through to the entry's own router.
 * Paths and methods the entry does not serve reach the 404 and 405 without a token being read.
 */
function guardOperations(entry: RouteEntry, auth: TokenVerifier | 'off', hook: RequestSettingsHook): Router | undefined {
  if (auth === 'off') return undefined;
  const guard = Router();
  let guarded = false;
  for (const declared of entry.operations) {
    const requirement = requirementOf(entry.access, declared.method);
    if (!requirement.authenticated) continue;
    guard[declared.method](expressPath(declared.path), authenticate(auth, requirement, hook));
    guarded = true;
  }
  return guarded ? guard : undefined;
}

/** The middleware stack and the controllers. No listening, no environment reads, no I/O. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('env', deps.config.env === 'development' ? 'development' : 'production');
  // Deployed behind exactly one router (Heroku's, or a load balancer): req.ip is the address it
  // saw, and whatever a client puts in X-Forwarded-For before that hop is ignored.
  app.set('trust proxy', isDeployed(deps.config.env) ? 1 : false);
  // No route of ours takes nested query objects: the simple parser cannot build __proto__ keys.
  app.set('query parser', 'simple');

  app.use(securityHeaders());
  app.use(requestId(deps.logger));
  if (deps.tracing) app.use(deps.tracing.middleware);
  app.use(requestLog());
  if (deps.metrics) app.use(requestMetrics(deps.metrics));
  app.use(limitUrlLength());
  app.use(closeConnectionsWhileDraining(deps.lifecycle));
  app.use(requestDeadline(deps.config.http.requestDeadlineMs, deps.logger));
  app.use(jsonBody(deps.config.http.jsonBodyLimitBytes));

  const { routes, requestSettings: hook } = deps;
  const routeDeps: RouteDeps = { ...deps, routes, unitOfWork: createUnitOfWork(deps.database, hook) };
  for (const entry of routes) {
    const router = entry.router(routeDeps);
    if (!router) continue;
    const guard = guardOperations(entry, deps.auth ?? REFUSE_EVERY_TOKEN, hook);
    app.use(entry.path, mountedAt(entry.path), ...(guard ? [guard] : []), answerOtherMethods(router, entry));
  }

  app.use(notFound());
  app.use(errorHandler(deps.logger));
  return app;
}

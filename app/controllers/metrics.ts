import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { HttpError } from '../errors';
import type { Metrics } from '../metrics';
import { methodNotAllowed } from '../middleware/method-not-allowed';

class UnauthorizedError extends HttpError {
  constructor() {
    super(401, 'unauthorized', 'This resource needs a valid bearer token.', { 'WWW-Authenticate': 'Bearer realm="metrics"' });
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Compares in constant time (over digests, so the token's length leaks nothing either). */
function requireBearer(token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const match = /^Bearer (\S+)$/.exec(req.get('Authorization') ?? '');
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) throw new UnauthorizedError();
    next();
  };
}

/** GET /metrics in the Prometheus text format; behind a bearer token when one is configured. */
export function metricsController(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  router
    .route('/')
    .get(...(token ? [requireBearer(token)] : []), async (_req, res) => {
      const body = await metrics.scrape();
      res.set({ 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }).send(body);
    })
    .all(methodNotAllowed(['GET', 'HEAD']));
  return router;
}

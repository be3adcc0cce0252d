import { Router } from 'express';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { OPENAPI_CACHE_CONTROL, openApiDocument } from '../openapi';

const READ_METHODS = ['GET', 'HEAD'] as const;

/**
 * GET /openapi.json: keel's OpenAPI document, serialised once when the app is built.
 *
 * Cached for five minutes (public): the document only changes with a deploy, clients and
 * monitoring tools fetch it repeatedly, and Express's ETag lets them revalidate it for free (304).
 * A few minutes of an older document during a rolling deploy is harmless, unlike a stale health body.
 */
export function openApiController(version: string): Router {
  const body = JSON.stringify(openApiDocument(version));
  const router = Router();
  router
    .route('/openapi.json')
    .get((_req, res) => {
      res.set({ 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': OPENAPI_CACHE_CONTROL }).send(body);
    })
    .all(methodNotAllowed(READ_METHODS));
  return router;
}

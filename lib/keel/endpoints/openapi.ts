import { Router } from 'express';
import { headerRef, JSON_MEDIA_TYPE, OPENAPI_CACHE_CONTROL, OPENAPI_VERSION, openApiDocument } from '../http/openapi';
import { handle, operation } from '../http/operation';
import type { RouteEntry } from '../http/routes';
import { OpenApiDocumentBody } from './health-schemas';
import { EXAMPLE_VERSION } from './health-examples';

const DOCUMENT_HEADERS = {
  'X-Request-Id': headerRef('RequestId'),
  'Cache-Control': headerRef('DocumentCacheControl'),
  ETag: headerRef('ETag'),
};

export const getOpenApiDocument = operation({
  method: 'get',
  path: '/',
  operationId: 'getOpenApiDocument',
  summary: 'The OpenAPI document',
  description: 'This OpenAPI 3.1 document, with info.version the package version of the running service.',
  tags: ['meta'],
  security: [],
  responses: {
    200: {
      description: 'The document.',
      headers: DOCUMENT_HEADERS,
      content: {
        [JSON_MEDIA_TYPE]: {
          schema: OpenApiDocumentBody,
          examples: {
            outline: {
              summary: 'Its outline',
              value: { openapi: OPENAPI_VERSION, info: { title: 'keel', version: EXAMPLE_VERSION }, paths: {} },
            },
          },
        },
      },
    },
    304: { description: 'Not modified since the ETag in If-None-Match.', headers: DOCUMENT_HEADERS },
  },
});

/**
 * GET /openapi.json: the document of every route of the app, serialised once when the app is built.
 *
 * Cached for five minutes (public): the document only changes with a deploy, clients and
 * monitoring tools fetch it repeatedly, and Express's ETag lets them revalidate it for free (304).
 * A few minutes of an older document during a rolling deploy is harmless, unlike a stale health body.
 */
export function openApiController(version: string, routes: readonly RouteEntry[], authEnabled: boolean): Router {
  const body = JSON.stringify(openApiDocument(version, routes, authEnabled));
  const router = Router();
  handle(router, getOpenApiDocument, (_req, res) => {
    res.set({ 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': OPENAPI_CACHE_CONTROL }).send(body);
  });
  return router;
}

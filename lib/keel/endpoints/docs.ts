import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Router, type RequestHandler } from 'express';
import { projectRoot } from '../../../config/project';
import { methodNotAllowed } from '../http/middleware/method-not-allowed';
import { apiDocsSecurityHeaders } from '../http/middleware/security-headers';
import { docsPage, HTML_CONTENT_TYPE } from './docs-page';

/** The document the page shows: the path of the /openapi.json entry in KEEL_ROUTES (lib/keel/endpoints/index.ts). */
const DOCUMENT_URL = '/openapi.json';

const JAVASCRIPT = 'text/javascript; charset=utf-8';

/** The folders the page's files come from, found at the first request (createApp does no I/O). */
const FOLDERS = {
  swaggerUi: () => path.dirname(require.resolve('swagger-ui-dist/package.json')),
  own: () => path.join(projectRoot(), 'public', 'docs'),
};

/** A file the page loads, served as it is on disk: its name under the page is its name in its folder. */
interface Asset {
  readonly folder: keyof typeof FOLDERS;
  readonly type: string;
}

/** Every file of the page: nothing else of swagger-ui-dist or public/ is served. */
const ASSETS: Readonly<Record<string, Asset>> = {
  'swagger-ui-bundle.js': { folder: 'swaggerUi', type: JAVASCRIPT },
  'swagger-ui.css': { folder: 'swaggerUi', type: 'text/css; charset=utf-8' },
  'favicon-32x32.png': { folder: 'swaggerUi', type: 'image/png' },
  'init.js': { folder: 'own', type: JAVASCRIPT },
};

/**
 * Answers with the file, read on the first request and kept: a strong ETag of its bytes lets the browser
 * revalidate it (304) after a deploy changed nothing, and no-cache makes it ask after one that did.
 */
function serveAsset(name: string, { folder, type }: Asset): RequestHandler {
  let loaded: Promise<{ body: Buffer; etag: string }> | undefined;
  const load = async () => {
    const body = await readFile(path.join(FOLDERS[folder](), name));
    return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
  };
  return async (_req, res) => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    const { body, etag } = await loaded;
    res.set({ 'Content-Type': type, 'Cache-Control': 'no-cache', ETag: etag }).send(body);
  };
}

/**
 * GET /docs: the OpenAPI document as an interactive page (Swagger UI), for people. Not an operation of the API:
 * its entry in the route table has none, and the document lists its path under x-pages. Every file it loads is
 * served from here under a Content-Security-Policy of its own (apiDocsSecurityHeaders); any other method is
 * answered 405, and an unknown file 404, both under keel's strict policy as any problem.
 */
export function docsController(): Router {
  const router = Router();
  const page: RequestHandler = (req, res) => {
    res.set({ 'Content-Type': HTML_CONTENT_TYPE, 'Cache-Control': 'no-cache' });
    res.send(docsPage({ base: req.baseUrl, documentUrl: DOCUMENT_URL }));
  };
  const files = new Map<string, RequestHandler>([['/', page]]);
  for (const [name, asset] of Object.entries(ASSETS)) files.set(`/${name}`, serveAsset(name, asset));
  for (const [name, handler] of files) {
    router
      .route(name)
      .get(...apiDocsSecurityHeaders(), handler)
      .all(methodNotAllowed(['GET', 'HEAD']));
  }
  return router;
}

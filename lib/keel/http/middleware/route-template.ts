import type { Request, RequestHandler, Response } from 'express';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augmenting Express's own namespace
  namespace Express {
    interface Locals {
      /** The mount path of the router handling the request (see mountedAt). */
      routePrefix?: string;
    }
  }
}

/**
 * Mounted in front of a router: remembers its mount path, which Express forgets (req.baseUrl)
 * once the request leaves the router, e.g. on its way to the error handler.
 */
export function mountedAt(prefix: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.routePrefix = prefix;
    next();
  };
}

/** The route template that served the request ('/health/db'), or 'unmatched'. Never the raw URL. */
export function routeTemplate(req: Request, res: Response): string {
  const route = req.route as { path?: unknown } | undefined;
  if (typeof route?.path !== 'string') return 'unmatched';
  const template = `${res.locals.routePrefix ?? ''}${route.path === '/' ? '' : route.path}`;
  return template || '/';
}

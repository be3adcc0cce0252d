import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';

/** Paths that load balancers ping every few seconds: logged at debug so they cannot flood logs. */
const isHealthPing = (path: string): boolean => path === '/health' || path.startsWith('/health/');

/**
 * One access-log line per request, written when the response is finished or the client went away.
 * It records the path without the query string, which may carry tokens.
 */
export function requestLog(): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    // Read now: routers rewrite req.path while they handle the request.
    const path = req.path;
    const level = isHealthPing(path) ? 'debug' : undefined;
    let logged = false;
    const write = (): void => {
      if (logged) return;
      logged = true;
      res.locals.log.log(level ?? (res.statusCode >= 500 ? 'warn' : 'info'), 'request', {
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        completed: res.writableFinished,
      });
    };
    res.on('finish', write);
    res.on('close', write);
    next();
  };
}

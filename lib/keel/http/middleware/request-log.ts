import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { onResponseClosed } from '../response-closed';
import { routeTemplate } from './route-template';
import { isUntracedPath } from '../tracing';

/** Paths that load balancers and scrapers hit every few seconds: logged at debug so they cannot flood logs. */
const isPing = isUntracedPath;

/**
 * One access-log line per request, written when the response is finished or the client went away:
 * method, route template (never the raw URL, which may carry ids or tokens), the verified user,
 * status, duration; and the request id.
 */
export function requestLog(): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    // Read now: routers rewrite req.path while they handle the request.
    const level = isPing(req.path) ? 'debug' : undefined;
    onResponseClosed(res, () => {
      const log = res.locals.log;
      const lineLevel = level ?? (res.statusCode >= 500 ? 'warn' : 'info');
      // Health pings log at debug, usually disabled: skip building and formatting the line.
      if (!log.isLevelEnabled(lineLevel)) return;
      // One object, the line itself: winston's (level, message, fields) form would copy it into another.
      log.log({
        level: lineLevel,
        message: 'request',
        requestId: res.locals.requestId,
        method: req.method,
        route: routeTemplate(req, res),
        ip: req.ip,
        // Who called, as verified from the token (never the token itself); absent on public routes.
        ...(res.locals.caller ? { user: res.locals.caller.user } : {}),
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        completed: res.writableFinished,
        // The line is written after the request's span has ended, outside its context: its ids are passed here.
        ...(res.locals.trace ? { trace_id: res.locals.trace.traceId, span_id: res.locals.trace.spanId } : {}),
      });
    });
    next();
  };
}

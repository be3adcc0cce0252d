import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics';
import { onResponseClosed } from '../response-closed';
import { routeTemplate } from './route-template';

/** Observes the duration of every finished response by method, route template and status, and its problem code. */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    onResponseClosed(res, () => {
      // A response the client left before it was complete has no status to report.
      if (!res.writableFinished) return;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const trace = res.locals.trace;
      metrics.observeRequest(
        { method: req.method, route: routeTemplate(req, res), status: res.statusCode, code: res.locals.problemCode },
        seconds,
        trace?.sampled ? trace.traceId : undefined,
      );
    });
    next();
  };
}

import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics';
import { routeTemplate } from './route-template';

/** Observes every request's duration by method, route template and status. */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest({ method: req.method, route: routeTemplate(req, res), status: res.statusCode }, seconds);
    });
    next();
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { HttpError } from '../http/errors';
import { PROBLEMS } from '../schemas/problems';
import type { Metrics } from '../http/metrics';
import { METRICS_MEDIA_TYPE, METRICS_TOKEN_SCHEME, OPENMETRICS_MEDIA_TYPE, noStoreHeaders, responseRef } from '../http/openapi';
import { expressPath, operation } from '../http/operation';

const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

class UnauthorizedError extends HttpError {
  constructor() {
    super(401, 'unauthorized', PROBLEMS.unauthorized.detail, { 'WWW-Authenticate': 'Bearer realm="metrics"' });
  }
}

const METRICS_EXAMPLE = `# HELP http_request_duration_seconds HTTP request duration, by method, route template and status
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005",method="GET",route="/health/ready",status="200"} 118
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/health/ready",status="200"} 120
http_request_duration_seconds_sum{method="GET",route="/health/ready",status="200"} 0.214
http_request_duration_seconds_count{method="GET",route="/health/ready",status="200"} 120
# HELP keel_http_problems_total Problem (error) responses by route template, status and problem code
# TYPE keel_http_problems_total counter
keel_http_problems_total{route="unmatched",status="404",code="not_found"} 3
# HELP keel_db_pool_connections Database pool connections by pool and state (size = open, available = idle, using, waiting = queued callers, max)
# TYPE keel_db_pool_connections gauge
keel_db_pool_connections{pool="primary",state="size"} 1
keel_db_pool_connections{pool="primary",state="max"} 10
# HELP keel_db_probe_up Latest database health probe result by pool: 1 pass or warn, 0 fail (absent before the first probe)
# TYPE keel_db_probe_up gauge
keel_db_probe_up{pool="primary"} 1
`;

const OPENMETRICS_EXAMPLE = `# HELP http_request_duration_seconds HTTP request duration, by method, route template and status
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005",method="GET",route="/widgets/:id",status="200"} 118
http_request_duration_seconds_bucket{le="0.01",method="GET",route="/widgets/:id",status="200"} 120 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 0.0072 1796682863.062
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/widgets/:id",status="200"} 120
http_request_duration_seconds_sum{method="GET",route="/widgets/:id",status="200"} 0.214
http_request_duration_seconds_count{method="GET",route="/widgets/:id",status="200"} 120
# HELP keel_trace_spans_dropped Spans dropped instead of exported: the queue was full, or the collector failed or did not answer in time
# TYPE keel_trace_spans_dropped counter
keel_trace_spans_dropped_total 0
# EOF
`;

export const getMetrics = operation({
  method: 'get',
  path: '/',
  operationId: 'getMetrics',
  summary: 'Prometheus metrics',
  description:
    'Request durations by method, route template and status; problem responses by code; pool, checkout time, probe and ' +
    'replica lag; process and event-loop metrics (one series per worker with several). ' +
    'On in development and test (no token); in staging and production only with METRICS_TOKEN, and then behind that bearer token. ' +
    'When off, the path does not exist (404).',
  tags: ['meta'],
  // The bearer token in staging and production; none in development and test.
  security: [{ [METRICS_TOKEN_SCHEME]: [] }, {}],
  responses: {
    200: {
      description: 'The metrics, in the Prometheus text format, or in OpenMetrics when the Accept header prefers it.',
      headers: noStoreHeaders(),
      content: {
        [METRICS_MEDIA_TYPE]: {
          schema: z.string().min(1),
          examples: { scrape: { summary: 'An excerpt of a scrape', value: METRICS_EXAMPLE } },
        },
        // With tracing on, the request-duration buckets carry the trace id of a sampled request as an exemplar.
        [OPENMETRICS_MEDIA_TYPE]: {
          schema: z.string().min(1),
          examples: { scrape: { summary: 'An excerpt of a scrape, with an exemplar', value: OPENMETRICS_EXAMPLE } },
        },
      },
    },
    401: responseRef('Unauthorized'),
    404: responseRef('NotFound'),
  },
});

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

/**
 * Whether the scraper ranks OpenMetrics above Prometheus' text format (Prometheus does when it stores
 * exemplars). By media type and q only: Prometheus adds parameters (version, escaping) that Express's
 * negotiation would have to match exactly. Without an Accept header, the Prometheus format.
 */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  let openMetrics = 0;
  let text = 0;
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2)) || 0;
    if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, weight);
    else if (type === 'text/plain') text = Math.max(text, weight);
  }
  return openMetrics > 0 && openMetrics >= text;
}

/** GET /metrics in the Prometheus text format; behind a bearer token when one is configured. */
export function metricsController(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  router.get(expressPath(getMetrics.path), ...(token ? [requireBearer(token)] : []), async (req, res) => {
    const format = prefersOpenMetrics(req.get('Accept')) ? 'openmetrics' : 'prometheus';
    const body = await metrics.scrape(format);
    res
      .set({
        'Content-Type': format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : metrics.registry.contentType,
        'Cache-Control': 'no-store',
        Vary: 'Accept',
      })
      .send(body);
  });
  return router;
}

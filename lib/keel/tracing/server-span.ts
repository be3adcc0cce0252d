import {
  context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  TraceFlags,
  type Span,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import type { Request, RequestHandler, Response } from 'express';
import { routeTemplate } from '../http/middleware/route-template';
import { onResponseClosed } from '../http/response-closed';
import { isUntracedPath, TraceIds, type RequestTracing } from '../http/tracing';
import { markFailed } from './spans';

const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

// A service has a few dozen route templates: each is rewritten once (a regular expression per request showed in profiles).
const openApiPaths = new Map<string, string>();

/** '/widgets/:id' as the OpenAPI document writes it, '/widgets/{id}'. */
function openApiPath(template: string): string {
  let path = openApiPaths.get(template);
  if (path === undefined) {
    path = template.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    openApiPaths.set(template, path);
  }
  return path;
}

/**
 * One server span per request, a child of the caller's (W3C traceparent and tracestate), named by the
 * route template that served it (`GET /widgets/{id}`), never by the raw URL, which can carry ids and
 * tokens; so no url.path or url.query either. Health and /metrics are not traced.
 */
export function serverSpans(tracer: Tracer, propagator: TextMapPropagator): RequestTracing {
  const middleware: RequestHandler = (req, res, next) => {
    if (isUntracedPath(req.path)) {
      next();
      return;
    }
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const method = KNOWN_METHODS.has(req.method) ? req.method : '_OTHER';
    const span = tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.SERVER }, parent);
    // Set once the span is known to be recorded: the SDK checks every attribute it is given, sampled or not.
    if (span.isRecording()) {
      span.setAttributes({ 'http.request.method': method, 'url.scheme': req.protocol, 'keel.request_id': res.locals.requestId });
    }
    const { traceId, spanId, traceFlags } = span.spanContext();
    res.locals.trace = new TraceIds(traceId, spanId, (traceFlags & TraceFlags.SAMPLED) !== 0);
    onResponseClosed(res, () => endServerSpan(span, req, res));
    context.with(trace.setSpan(parent, span), next);
  };
  return { middleware };
}

function endServerSpan(span: Span, req: Request, res: Response): void {
  if (span.isRecording()) {
    const route = routeTemplate(req, res);
    if (route !== 'unmatched') {
      span.updateName(`${req.method} ${openApiPath(route)}`);
      span.setAttribute('http.route', route);
    }
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.locals.caller) span.setAttribute('user.id', res.locals.caller.user);
    if (!res.writableFinished) span.setAttribute('keel.response.completed', false);
    // A 4xx is the client's: status left unset, as the semantic conventions say for a server span.
    if (res.statusCode >= 500) markFailed(span, res.locals.errorType ?? String(res.statusCode));
  }
  span.end();
}

import { STATUS_CODES } from 'node:http';
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { requirementOf } from './access';
import { MethodNotAllowedError, type FieldError } from './errors';
import { MAX_URL_LENGTH, UriTooLongError } from './middleware/uri-length';
import type { Examples, Operation, ResponseReference } from './operation';
import type { RouteEntry } from './routes';
import { CONSTRAINT_VIOLATIONS } from '../db/faults';
import { PROBLEMS, RETRY_AFTER_SECONDS, type ProblemCode, type ProblemStatus } from '../schemas/problems';
import { Problem, PROBLEM_CODES, REQUEST_ID_PATTERN } from '../schemas/problem';
import { problemBody } from './problem-view';

/**
 * keel's HTTP contract: the OpenAPI 3.1 document generated from the route table (app/routes.ts).
 * Each entry's operations give their paths, parameters, bodies and responses from the same zod
 * schemas that validate requests; this file adds what every operation shares: the errors any
 * request can meet, the headers, the HEAD twin of every GET, and keel's x-other-methods,
 * x-other-paths (what a path or method the document does not list is answered with) and x-pages
 * (the entries without operations: pages for people, such as /docs). Served at
 * GET /openapi.json; the suite checks each response it gets against it (test/support/contract.ts).
 */
export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

export const OPENAPI_VERSION = '3.1.1';
export const HEALTH_JSON = 'application/health+json';
export const PROBLEM_JSON = 'application/problem+json';
export const JSON_MEDIA_TYPE = 'application/json';
/** Prometheus's text exposition format, as prom-client names it (charset aside). */
export const METRICS_MEDIA_TYPE = 'text/plain; version=0.0.4';
/** OpenMetrics 1.0, served when the scraper asks for it (Accept): it carries the exemplars (trace ids). */
export const OPENMETRICS_MEDIA_TYPE = 'application/openmetrics-text; version=1.0.0';
/** How long clients and shared caches may keep the document: it only changes with a deploy. */
export const OPENAPI_CACHE_CONTROL = 'public, max-age=300';
/** The security scheme of /metrics in staging and production (METRICS_TOKEN). */
export const METRICS_TOKEN_SCHEME = 'metricsToken';
/** The security scheme of every route that needs a caller: a bearer token from the identity provider. */
export const BEARER_SCHEME = 'bearerAuth';

export const schemaRef = (name: string): ResponseReference => ({ $ref: `#/components/schemas/${name}` });
export const responseRef = (name: string): ResponseReference => ({ $ref: `#/components/responses/${name}` });
export const headerRef = (name: string): ResponseReference => ({ $ref: `#/components/headers/${name}` });

/** An OpenAPI header object of the kind keel's responses carry: a string with a schema and an example. */
// A type, not an interface: OpenAPI's own types take any x- extension, which only a type alias may stand for.
type Header = {
  description: string;
  required: boolean;
  schema: { type: 'string'; pattern?: string; const?: string; minLength?: number };
  example: string;
};
type Headers = Readonly<Record<string, Header | ResponseReference>>;

/** The headers of every response of keel's own. */
export const REQUEST_ID_HEADERS = { 'X-Request-Id': headerRef('RequestId') };
/** The headers of every health and error response; extra ones are added per response. */
export const noStoreHeaders = (extra: Headers = {}): Headers => ({
  ...REQUEST_ID_HEADERS,
  'Cache-Control': headerRef('NoStore'),
  ...extra,
});

/** A JSON response of a feature: its schema, and the request id header every response carries. */
export function jsonResponse(description: string, schema: z.ZodType, examples?: Examples): ResponseConfig {
  return { description, headers: REQUEST_ID_HEADERS, content: { [JSON_MEDIA_TYPE]: { schema, ...(examples ? { examples } : {}) } } };
}

/** 201 Created: the new resource, and where it lives (Location). */
export function createdResponse(description: string, schema: z.ZodType, examples?: Examples): ResponseConfig {
  return { ...jsonResponse(description, schema, examples), headers: { ...REQUEST_ID_HEADERS, Location: headerRef('Location') } };
}

/** 204 No Content: done, nothing to say. */
export function noContentResponse(description: string): ResponseConfig {
  return { description, headers: REQUEST_ID_HEADERS };
}

export const RETRY_AFTER_HEADER: Header = {
  description: 'Seconds after which the client may try again.',
  required: true,
  schema: { type: 'string', pattern: '^[0-9]+$' },
  example: RETRY_AFTER_SECONDS,
};

const HEADERS: Readonly<Record<string, Header>> = {
  RequestId: {
    description: 'The request id: a sane incoming X-Request-Id (letters, digits, `._:-`, at most 128) is kept, else a new UUID.',
    required: true,
    schema: { type: 'string', pattern: REQUEST_ID_PATTERN.source },
    example: '3f0c9a4e-5b7d-4e21-8c6a-9d2f1b0e7a54',
  },
  NoStore: {
    description: 'Health and error responses are never cached: each one is the state at that moment.',
    required: true,
    schema: { type: 'string', const: 'no-store' },
    example: 'no-store',
  },
  RetryAfter: RETRY_AFTER_HEADER,
  Allow: {
    description: 'The methods the resource supports.',
    required: true,
    schema: { type: 'string', pattern: '^[A-Z]+(, [A-Z]+)*$' },
    example: 'GET, HEAD',
  },
  DocumentCacheControl: {
    description: 'The document changes only with a deploy: it may be kept five minutes, and revalidated with its ETag.',
    required: true,
    schema: { type: 'string', const: OPENAPI_CACHE_CONTROL },
    example: OPENAPI_CACHE_CONTROL,
  },
  WwwAuthenticate: {
    description: 'The authentication scheme the resource wants: a bearer token.',
    required: true,
    schema: { type: 'string', pattern: '^Bearer( |$)' },
    example: 'Bearer realm="metrics"',
  },
  Location: {
    description: 'The path of the resource the request created.',
    required: true,
    schema: { type: 'string', minLength: 1 },
    example: '/widgets/0190a1c2-7b3d-7e4f-8a5b-6c7d8e9f0a1b',
  },
  ETag: {
    description: 'A validator for If-None-Match.',
    required: true,
    schema: { type: 'string', minLength: 1 },
    example: 'W/"5f3a-Yx0l3r2lX3cZbQm2k5dWZ1vQf0E"',
  },
};

// ─── Problems ────────────────────────────────────────────────────────────────────────────────────

const PROBLEM_SCHEMA_NAMES: Readonly<Record<ProblemStatus, string>> = {
  400: 'BadRequestProblem',
  401: 'UnauthorizedProblem',
  403: 'ForbiddenProblem',
  404: 'NotFoundProblem',
  405: 'MethodNotAllowedProblem',
  408: 'RequestTimeoutProblem',
  409: 'ConflictProblem',
  413: 'PayloadTooLargeProblem',
  414: 'UriTooLongProblem',
  415: 'UnsupportedMediaTypeProblem',
  500: 'InternalErrorProblem',
  503: 'ServiceUnavailableProblem',
};

/** Problem narrowed to one status: its phrase, and the codes it comes with. */
function problemFor(status: ProblemStatus): z.ZodType {
  return Problem.extend({
    status: z.literal(status),
    title: z.literal(STATUS_CODES[status] ?? ''),
    code: z.enum(PROBLEM_CODES[status]),
  }).meta({
    id: PROBLEM_SCHEMA_NAMES[status],
    description: `A ${status} ${STATUS_CODES[status]} problem.`,
  });
}

const EXAMPLE_REQUEST_ID = '3f0c9a4e-5b7d-4e21-8c6a-9d2f1b0e7a54';

/** An example body of a problem code; detail only where the error that raises it fills in the table's text. */
export function problemExample(summary: string, code: ProblemCode, detail: string = PROBLEMS[code].detail, errors?: readonly FieldError[]) {
  return { summary, value: problemBody({ status: PROBLEMS[code].status, code, detail, requestId: EXAMPLE_REQUEST_ID, errors }) };
}

export const SERVICE_UNAVAILABLE_EXAMPLES = {
  request_timeout: problemExample('The request deadline (REQUEST_DEADLINE_MS) passed', 'request_timeout'),
  database_unavailable: problemExample('The database is unreachable', 'database_unavailable'),
  database_auth_failed: problemExample('The database refused the credentials in DATABASE_URL', 'database_auth_failed'),
  identity_provider_unavailable: problemExample('No key to verify the token with: the provider is down', 'identity_provider_unavailable'),
};

const problemContent = (status: ProblemStatus, examples: Examples) => ({
  [PROBLEM_JSON]: { schema: schemaRef(PROBLEM_SCHEMA_NAMES[status]), examples },
});

function sharedResponses() {
  return {
    BadRequest: {
      description:
        'The request is invalid (invalid_request: errors lists each invalid field), or could not be read: malformed JSON, ' +
        'a body that does not match its Content-Length, or an aborted upload.',
      headers: noStoreHeaders(),
      content: problemContent(400, {
        invalid_request: problemExample('A field that is not valid', 'invalid_request', undefined, [
          { pointer: '/body/name', detail: 'Must not be empty.' },
        ]),
        malformed_json: problemExample('A malformed JSON body', 'malformed_json'),
      }),
    },
    NotFound: {
      description: 'No resource exists at this path.',
      headers: noStoreHeaders(),
      content: problemContent(404, { not_found: problemExample('An unknown path', 'not_found') }),
    },
    Conflict: {
      description:
        'The stored data refuses the request (an integrity violation): a unique value another resource has ' +
        '(unique_violation), a reference to a resource that does not exist or a resource others still refer to ' +
        '(foreign_key_violation), a value left out (not_null_violation), a rule of the table (check_violation), an ' +
        'overlap (exclusion_violation), or another integrity rule (integrity_violation). errors points at the body ' +
        'fields it is about, where the database names them. It may succeed once the data or the request changes.',
      headers: noStoreHeaders(),
      content: problemContent(409, {
        unique_violation: problemExample('A unique value already taken', 'unique_violation', undefined, [
          { pointer: '/body/name', detail: CONSTRAINT_VIOLATIONS.unique_violation.field },
        ]),
        foreign_key_violation: problemExample('A delete of a resource others still refer to', 'foreign_key_violation'),
      }),
    },
    MethodNotAllowed: {
      description: 'The path exists but does not support this method; Allow lists the ones it does.',
      headers: noStoreHeaders({ Allow: headerRef('Allow') }),
      content: problemContent(405, {
        method_not_allowed: problemExample(
          'POST on a read-only resource',
          'method_not_allowed',
          new MethodNotAllowedError(['GET', 'HEAD']).detail,
        ),
      }),
    },
    Unauthorized: {
      description:
        'The resource needs a bearer token, and the request has none (unauthorized) or one that does not verify: ' +
        'a bad signature, another issuer or audience, expired (invalid_token).',
      headers: noStoreHeaders({ 'WWW-Authenticate': headerRef('WwwAuthenticate') }),
      content: problemContent(401, {
        unauthorized: problemExample('No bearer token', 'unauthorized'),
        invalid_token: problemExample('An expired token', 'invalid_token'),
      }),
    },
    Forbidden: {
      description:
        'The token is valid, but the caller may not do this: a scope the operation requires is missing (insufficient_scope, ' +
        'and WWW-Authenticate names the scopes), its user or tenant is not one the service accepts (invalid_identity), or it ' +
        'names no tenant where the operation needs one (identity_incomplete).',
      headers: noStoreHeaders(),
      content: problemContent(403, {
        insufficient_scope: problemExample('A token without widgets:write', 'insufficient_scope'),
        identity_incomplete: problemExample(
          'A token that names no tenant',
          'identity_incomplete',
          PROBLEMS.identity_incomplete.detail.replace('{setting}', 'tenant_id'),
        ),
      }),
    },
    UriTooLong: {
      description: `The request URL is longer than ${MAX_URL_LENGTH} characters.`,
      headers: noStoreHeaders(),
      content: problemContent(414, {
        uri_too_long: problemExample('A URL over the limit', 'uri_too_long', new UriTooLongError().detail),
      }),
    },
    RequestTimeout: {
      description: 'The request body was still arriving at REQUEST_DEADLINE_MS (a stalled or trickled upload). The connection is closed.',
      headers: noStoreHeaders(),
      content: problemContent(408, {
        request_body_timeout: problemExample('A body that stopped arriving', 'request_body_timeout'),
      }),
    },
    PayloadTooLarge: {
      description: 'The request body is larger than JSON_BODY_LIMIT_KB.',
      headers: noStoreHeaders(),
      content: problemContent(413, {
        payload_too_large: problemExample('A body over the limit', 'payload_too_large'),
      }),
    },
    UnsupportedMediaType: {
      description:
        'The request body is not JSON (then the connection is closed: the body is never read), or uses a Content-Encoding or charset keel does not read.',
      headers: noStoreHeaders(),
      content: problemContent(415, {
        unsupported_media_type: problemExample('A form-encoded body', 'unsupported_media_type'),
        unsupported_charset: problemExample('A JSON body in latin1', 'unsupported_charset'),
      }),
    },
    InternalError: {
      description: 'An unexpected fault. Logged with its stack; the body says nothing about it.',
      headers: noStoreHeaders(),
      content: problemContent(500, { internal_error: problemExample('A bug', 'internal_error') }),
    },
    ServiceUnavailable: {
      description:
        'A dependency is unavailable (the database) or the request deadline passed. Try again after Retry-After. ' +
        'A request_timeout on a method that is not idempotent (POST, PATCH) carries no Retry-After: its outcome is unknown.',
      headers: noStoreHeaders({ 'Retry-After': headerRef('RetryAfter') }),
      content: problemContent(503, SERVICE_UNAVAILABLE_EXAMPLES),
    },
  };
}

/** What any request can meet before or outside its route: the URL length limit, the body parser, a bug, the request deadline. */
const REQUEST_ERRORS = {
  400: responseRef('BadRequest'),
  408: responseRef('RequestTimeout'),
  413: responseRef('PayloadTooLarge'),
  414: responseRef('UriTooLong'),
  415: responseRef('UnsupportedMediaType'),
  500: responseRef('InternalError'),
  503: responseRef('ServiceUnavailable'),
};

// ─── Paths ───────────────────────────────────────────────────────────────────────────────────────

/** '/widgets' + '/{id}' → '/widgets/{id}'; '/health' + '/' → '/health'. */
const joinPath = (mount: string, path: string): string => `${mount === '/' ? '' : mount}${path === '/' ? '' : path}` || '/';

/** getLiveness → headLiveness; listWidgets → headListWidgets. */
const headOperationId = (id: string): string =>
  id.startsWith('get') ? `head${id.slice(3)}` : `head${id[0]?.toUpperCase() ?? ''}${id.slice(1)}`;

/** What the route table says of an operation's caller: its security requirement and the refusals it can meet. */
function callerRequirement(entry: RouteEntry, declared: Operation, authEnabled: boolean): Pick<RouteConfig, 'security' | 'responses'> {
  if (declared.security)
    return {
      security: declared.security.map((requirement) => Object.fromEntries(Object.entries(requirement).map(([k, v]) => [k, [...v]]))),
      responses: {},
    };
  const requirement = requirementOf(entry.access, declared.method);
  if (!authEnabled || !requirement.authenticated) return { security: [], responses: {} };
  return {
    security: [{ [BEARER_SCHEME]: [...requirement.scopes] }],
    responses: { 401: responseRef('Unauthorized'), 403: responseRef('Forbidden') },
  };
}

function routeConfig(path: string, declared: Operation, caller: Pick<RouteConfig, 'security' | 'responses'>): RouteConfig {
  const { body, bodyExamples, params, query } = declared;
  return {
    method: declared.method,
    path,
    operationId: declared.operationId,
    summary: declared.summary,
    ...(declared.description ? { description: declared.description } : {}),
    tags: [...declared.tags],
    security: caller.security,
    request: {
      ...(params ? { params: params as NonNullable<NonNullable<RouteConfig['request']>['params']> } : {}),
      ...(query ? { query: query as NonNullable<NonNullable<RouteConfig['request']>['query']> } : {}),
      ...(body
        ? {
            body: { required: true, content: { [JSON_MEDIA_TYPE]: { schema: body, ...(bodyExamples ? { examples: bodyExamples } : {}) } } },
          }
        : {}),
    },
    responses: { ...REQUEST_ERRORS, ...caller.responses, ...declared.responses },
  };
}

/** Every method a path item does not list is answered 405 with Allow (or 404 where the path can be off, as /metrics). */
function otherMethods(item: Record<string, unknown>) {
  const notFound = Object.values(item).some(
    (op) => typeof op === 'object' && op !== null && '404' in ((op as { responses?: object }).responses ?? {}),
  );
  return {
    description: 'Any other method is answered 405 with Allow (after the body parser, which may answer first).',
    responses: { 405: responseRef('MethodNotAllowed'), ...REQUEST_ERRORS, ...(notFound ? { 404: responseRef('NotFound') } : {}) },
  };
}

const TAGS = [
  { name: 'health', description: 'Liveness, database health and readiness, for load balancers and monitoring.' },
  { name: 'meta', description: 'The service describing itself.' },
];

const DESCRIPTION = `keel's health endpoints, its metrics, its error contract and the resources built on it.

- Every response carries **X-Request-Id**; every error is an RFC 9457 \`application/problem+json\` body with a stable \`code\`
  and the \`requestId\`. Health and error responses are \`Cache-Control: no-store\`.
- An invalid request (params, query or body) is answered 400 \`invalid_request\` with \`errors\`: one entry per invalid field,
  a JSON Pointer and a fixed text that never repeats the value. Unknown body fields are refused; a body that is not JSON
  is answered 415 \`unsupported_media_type\`.
- A request the stored data refuses (an integrity violation: a unique value taken, a resource missing or still referred
  to, …) is answered 409 with a \`code\` for each kind; \`errors\` points at the body fields it is about, where the
  database names them.
- A path this document does not list is answered 404 (\`x-other-paths\`), unless it is a page for people (\`x-pages\`:
  /docs shows this document); a method a path does not list, 405 with Allow (\`x-other-methods\`). Whatever its path, a
  request may be answered 414 (a URL over ${MAX_URL_LENGTH} characters), or 400, 413 or 415 (its body) before routing.
- Status values of health bodies follow the IETF health-check draft: pass, warn, fail.`;

/**
 * The OpenAPI 3.1 document of the routes, with info.version = the package version. authEnabled false
 * (AUTH=off): no route needs a caller, whatever the route table says.
 */
export function openApiDocument(version: string, routes: readonly RouteEntry[], authEnabled = true): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  for (const [name, header] of Object.entries(HEADERS)) registry.registerComponent('headers', name, header);
  for (const [name, response] of Object.entries(sharedResponses())) registry.registerComponent('responses', name, response);
  // Named by their zod metadata (id); listed here because only the shared responses refer to them.
  const problems = Object.keys(PROBLEM_SCHEMA_NAMES).map((status) => problemFor(Number(status) as ProblemStatus));
  registry.registerComponent('securitySchemes', METRICS_TOKEN_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: 'METRICS_TOKEN: required by /metrics in staging and production.',
  });
  if (authEnabled) {
    registry.registerComponent('securitySchemes', BEARER_SCHEME, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        "A token from the service's identity provider (AUTH_ISSUER), for its audience (AUTH_AUDIENCE); in development, " +
        'from `npm run token`. Scopes listed on an operation come from the scope or scp claim.',
    });
  }

  const tags = [...TAGS];
  for (const entry of routes) {
    for (const declared of entry.operations) {
      const config = routeConfig(joinPath(entry.path, declared.path), declared, callerRequirement(entry, declared, authEnabled));
      registry.registerPath(config);
      // Express answers HEAD with the GET handler: the same status and headers, without the body.
      if (declared.method === 'get') {
        registry.registerPath({
          ...config,
          method: 'head',
          operationId: headOperationId(declared.operationId),
          summary: `${declared.summary} (headers only)`,
          description: 'The same status and headers as GET, without the body.',
        });
      }
      for (const tag of declared.tags) if (!tags.some((known) => known.name === tag)) tags.push({ name: tag, description: `The ${tag}.` });
    }
  }

  const document = new OpenApiGeneratorV31([
    ...registry.definitions,
    ...problems.map((schema) => ({ type: 'schema' as const, schema })),
  ]).generateDocument({
    openapi: OPENAPI_VERSION,
    info: {
      title: 'keel',
      version,
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'This service, wherever it is deployed.' }],
    tags,
  });
  for (const item of Object.values(document.paths ?? {})) {
    Object.assign(item, { 'x-other-methods': otherMethods(item as Record<string, unknown>) });
  }
  return {
    ...document,
    // OpenAPI 3.1's info.summary, which the generator's 3.0-shaped InfoObject does not declare.
    info: {
      ...document.info,
      summary: 'A production-grade foundation for HTTP services: Express 4 + TypeScript on PostgreSQL.',
    } as OpenApiDocument['info'],
    'x-other-paths': {
      description: 'Any path neither in paths nor in x-pages: 404 (after the body parser, which may answer first).',
      responses: { 404: responseRef('NotFound'), ...REQUEST_ERRORS },
    },
    ...pages(routes),
  };
}

/**
 * The route table's entries without operations: pages for people (HTML, its scripts and styles), not operations of
 * the API, so their paths are not in the document's paths. Their errors are keel's problems all the same.
 */
function pages(routes: readonly RouteEntry[]) {
  const paths = routes.filter((entry) => entry.operations.length === 0).map((entry) => entry.path);
  if (paths.length === 0) return {};
  return {
    'x-pages': {
      description:
        'Pages for people, not operations of the API: each path, and the files under it, answers GET and HEAD with ' +
        'HTML, scripts, styles or images; any other method 405; an unknown file, or a page the configuration turns off, 404.',
      paths,
      responses: { 404: responseRef('NotFound'), 405: responseRef('MethodNotAllowed'), ...REQUEST_ERRORS },
    },
  };
}

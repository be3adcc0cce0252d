import { STATUS_CODES } from 'node:http';
import type { PoolStats, ProbeReport } from '../db';
import { MethodNotAllowedError, NotFoundError } from './errors';
import { MAX_URL_LENGTH } from './middleware/uri-length';
import { databaseHealthBody, livenessBody, readinessBody } from './views/health';
import { problemBody } from './views/problem';

/**
 * keel's HTTP contract: the OpenAPI 3.1 document describing every endpoint, every body and every
 * error it answers with. Served at GET /openapi.json; the test suite checks each response it gets
 * from the app against it (test/support/contract.ts), so an endpoint cannot drift from it.
 *
 * A plain object built without I/O. Its examples are made by the real views from fixed inputs, so
 * they show exactly what the service sends, and the suite validates each against its own schema.
 */

// ─── The subset of OpenAPI 3.1 this document uses ────────────────────────────────────────────────

type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

/** A JSON Schema 2020-12 schema (OpenAPI 3.1's dialect), restricted to the keywords used here. */
export type JsonSchema = boolean | SchemaObject;
export interface SchemaObject {
  readonly $ref?: string;
  readonly title?: string;
  readonly description?: string;
  readonly type?: JsonType | readonly JsonType[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly patternProperties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: JsonSchema;
  readonly items?: JsonSchema;
  readonly allOf?: readonly JsonSchema[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly pattern?: string;
  readonly format?: string;
}

export interface Reference {
  readonly $ref: string;
}

export interface Example {
  readonly summary: string;
  readonly value: unknown;
}

export interface MediaType {
  readonly schema: JsonSchema;
  readonly examples: Readonly<Record<string, Example>>;
}

export interface Header {
  readonly description: string;
  readonly required: boolean;
  readonly schema: SchemaObject;
  readonly example: string;
}

export interface Response {
  readonly description: string;
  readonly headers: Readonly<Record<string, Header | Reference>>;
  /** Absent for a response without a body (304). */
  readonly content?: Readonly<Record<string, MediaType>>;
}

export type Responses = Readonly<Record<string, Response | Reference>>;

export interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly responses: Responses;
}

/** keel's extension for what a path item or the document cannot list one by one. */
export interface OtherRequests {
  readonly description: string;
  readonly responses: Responses;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type PathItem = { readonly summary: string } & { readonly [method in HttpMethod]?: Operation } & {
  /** Every method the path item does not list: answered 405 with Allow. */
  readonly 'x-other-methods'?: OtherRequests;
};

export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: {
    readonly title: string;
    readonly version: string;
    readonly summary: string;
    readonly description: string;
    readonly license: { readonly name: string; readonly identifier: string };
  };
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  readonly paths: Readonly<Record<string, PathItem>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly responses: Readonly<Record<string, Response>>;
    readonly headers: Readonly<Record<string, Header>>;
  };
  /** Every path the document does not list: answered 404 (or a request error found before routing). */
  readonly 'x-other-paths': OtherRequests;
}

// ─── Media types, headers and references ─────────────────────────────────────────────────────────

export const OPENAPI_VERSION = '3.1.1';
export const HEALTH_JSON = 'application/health+json';
export const PROBLEM_JSON = 'application/problem+json';
export const JSON_MEDIA_TYPE = 'application/json';
/** Prometheus's text exposition format, as prom-client names it (charset aside). */
export const METRICS_MEDIA_TYPE = 'text/plain; version=0.0.4';
/** How long clients and shared caches may keep the document: it only changes with a deploy. */
export const OPENAPI_CACHE_CONTROL = 'public, max-age=300';

const schemaRef = (name: string): Reference => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string): Reference => ({ $ref: `#/components/responses/${name}` });
const headerRef = (name: string): Reference => ({ $ref: `#/components/headers/${name}` });

/** The same request id pattern the request-id middleware accepts from a caller. */
const REQUEST_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';

const RETRY_AFTER: Header = {
  description: 'Seconds after which the client may try again.',
  required: true,
  schema: { type: 'string', pattern: '^[0-9]+$' },
  example: '1',
};

const HEADERS: Readonly<Record<string, Header>> = {
  RequestId: {
    description: 'The request id: a sane incoming X-Request-Id (letters, digits, `._:-`, at most 128) is kept, else a new UUID.',
    required: true,
    schema: { type: 'string', pattern: REQUEST_ID_PATTERN },
    example: '3f0c9a4e-5b7d-4e21-8c6a-9d2f1b0e7a54',
  },
  NoStore: {
    description: 'Health and error responses are never cached: each one is the state at that moment.',
    required: true,
    schema: { type: 'string', const: 'no-store' },
    example: 'no-store',
  },
  RetryAfter: RETRY_AFTER,
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
  ETag: {
    description: 'A validator for If-None-Match.',
    required: true,
    schema: { type: 'string', minLength: 1 },
    example: 'W/"5f3a-Yx0l3r2lX3cZbQm2k5dWZ1vQf0E"',
  },
};

/** The headers of every health and error response; extra ones are added per response. */
const noStoreHeaders = (extra: Readonly<Record<string, Header | Reference>> = {}): Readonly<Record<string, Header | Reference>> => ({
  'X-Request-Id': headerRef('RequestId'),
  'Cache-Control': headerRef('NoStore'),
  ...extra,
});

// ─── Schemas ─────────────────────────────────────────────────────────────────────────────────────

const DATABASE_FAULT_CODES = ['database_unavailable', 'database_pool_exhausted', 'database_timeout'] as const;

/** The problem codes by status, as app/middleware/error-handler.ts and app/errors.ts produce them. */
const PROBLEM_CODES = {
  400: ['malformed_json', 'request_aborted', 'invalid_content_length', 'bad_request'],
  401: ['unauthorized'],
  404: ['not_found'],
  405: ['method_not_allowed'],
  408: ['request_body_timeout'],
  409: ['unique_violation', 'foreign_key_violation'],
  413: ['payload_too_large', 'too_many_parameters'],
  414: ['uri_too_long'],
  415: ['unsupported_content_encoding', 'unsupported_charset'],
  500: ['internal_error'],
  503: ['request_timeout', ...DATABASE_FAULT_CODES],
} as const;
type ProblemStatus = keyof typeof PROBLEM_CODES;

/**
 * Every code a problem body may carry. invalid_body (a body-parser `verify` hook, 403) and too_many_parameters (the
 * urlencoded parser) are mapped by the error handler, but keel's JSON parser without a verify hook never raises them.
 */
const ALL_PROBLEM_CODES = [...Object.values(PROBLEM_CODES).flat(), 'invalid_body'];

const number = (description: string): SchemaObject => ({ type: 'number', minimum: 0, description });
const count = (description: string): SchemaObject => ({ type: 'integer', minimum: 0, description });
const timestamp = (description: string): SchemaObject => ({ type: 'string', format: 'date-time', description });
const healthStatus = (description: string): SchemaObject => ({ ...schemaRef('HealthStatus'), description });

/** A closed object: every property is listed, so an undocumented field breaks the contract. */
function closedObject(
  description: string,
  properties: Readonly<Record<string, JsonSchema>>,
  optional: readonly string[] = [],
): SchemaObject {
  return {
    type: 'object',
    description,
    properties,
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    additionalProperties: false,
  };
}

/** A named schema narrowed for one response: the base schema and the refinement both hold. */
function refined(base: string, description: string, refinement: Omit<SchemaObject, 'type'>): SchemaObject {
  return { description, allOf: [schemaRef(base), { type: 'object', ...refinement }] };
}

function healthSchemas(): Record<string, JsonSchema> {
  return {
    HealthStatus: {
      type: 'string',
      enum: ['pass', 'warn', 'fail'],
      description: 'IETF health-check draft status: pass, warn (degraded but serving) or fail.',
    },
    Liveness: closedObject('The process is alive. Never touches the database.', {
      status: { const: 'pass', description: 'Always pass: a process that can answer is alive.' },
      version: { type: 'string', description: 'The package version.' },
      uptimeSeconds: number('Process uptime, in seconds, to the millisecond.'),
      timestamp: timestamp('When the answer was made.'),
    }),
    PoolStats: closedObject('Connection pool counters.', {
      size: count('Connections open or being opened: in use plus idle.'),
      available: count('Idle connections.'),
      using: count('Connections checked out.'),
      waiting: count('Callers queued for a connection.'),
      max: count('The pool maximum (DB_POOL_MAX).'),
      min: count('The pool minimum.'),
    }),
    MigrationState: closedObject('Migrations on disk compared with SequelizeMeta.', {
      applied: count('Migrations on disk recorded as applied.'),
      pending: count('Migrations on disk not applied yet: the release phase did not run, or failed.'),
      unknown: count('Applied migrations this build does not have (a newer release migrated the database).'),
      latest: { type: ['string', 'null'], description: 'The newest applied migration, or null when none is.' },
    }),
    DatabaseFaultCode: {
      type: 'string',
      enum: DATABASE_FAULT_CODES,
      description: 'Why the database check failed: no answer, every connection busy, or the probe query was too slow and was cancelled.',
    },
    ReplicaHealth: closedObject(
      'The read replicas, when DATABASE_REPLICA_URLS is set. A failing replica turns the status to warn: reads fall back to the primary.',
      {
        status: healthStatus('The replica probe result.'),
        responseTimeMs: number('How long the replica probe took, in ms.'),
        cached: { type: 'boolean', description: 'True when the result came from the shared probe window.' },
        pool: schemaRef('PoolStats'),
        code: {
          type: 'string',
          enum: [...DATABASE_FAULT_CODES, 'replication_stopped', 'replication_lagging'],
          description:
            'Why the replica is not pass: unreachable (fail), replication stopped (fail: reads go to the primary), or lagging (warn).',
        },
        replication: {
          type: 'string',
          enum: ['streaming', 'stopped'],
          description: 'stopped: promoted, or no WAL receiver streaming from the primary. Known when the replica answered.',
        },
        replayLagMs: {
          type: ['number', 'null'],
          minimum: 0,
          description:
            'How far the replica is behind the primary, in ms: 0 when it has replayed the primary’s current WAL position, else the time since ' +
            'the last transaction it replayed; null when unknown. Above DB_REPLICA_LAG_WARN_MS: warn.',
        },
      },
      ['code', 'replication', 'replayLagMs'],
    ),
    DatabaseHealth: closedObject(
      'The database as the shared probe saw it. Names no host, port, user, database or credential.',
      {
        status: healthStatus('pass, warn (slow, or a replica in trouble) or fail (unreachable).'),
        responseTimeMs: number('How long the probe took, in ms.'),
        checkedAt: timestamp('When the probe finished.'),
        cached: {
          type: 'boolean',
          description: 'True when the result came from the shared probe (in flight or within DB_PROBE_CACHE_MS).',
        },
        pool: schemaRef('PoolStats'),
        code: schemaRef('DatabaseFaultCode'),
        detail: { type: 'string', minLength: 1, description: 'What the code means, safe to show.' },
        migrations: { ...schemaRef('MigrationState'), description: 'Known once the database has answered.' },
        replica: schemaRef('ReplicaHealth'),
      },
      ['code', 'detail', 'migrations', 'replica'],
    ),
    DatabaseHealthUp: refined('DatabaseHealth', 'The database answered: pass, or warn when slow or a replica is down. No code or detail.', {
      properties: { status: { enum: ['pass', 'warn'] }, code: false, detail: false },
    }),
    DatabaseHealthDown: refined('DatabaseHealth', 'The database did not answer in time: fail, with the reason.', {
      properties: { status: { const: 'fail' }, code: true, detail: true },
      required: ['code', 'detail'],
    }),
    Readiness: closedObject(
      'Whether a load balancer should route traffic here.',
      {
        status: healthStatus('pass or warn: route here; fail: do not.'),
        phase: { type: 'string', enum: ['starting', 'serving', 'draining'], description: 'Where the process is in its life.' },
        timestamp: timestamp('When the answer was made.'),
        reason: {
          type: 'string',
          enum: ['starting', 'draining', 'migrations_pending', ...DATABASE_FAULT_CODES],
          description: 'Why the service should get no traffic (fail), or what degrades it (warn).',
        },
        database: closedObject('A summary of the database probe, while serving.', {
          status: healthStatus('The probe result.'),
          responseTimeMs: number('How long the probe took, in ms.'),
          cached: { type: 'boolean', description: 'True when the result came from the shared probe.' },
        }),
        migrations: closedObject('Pending migrations, once the database has answered.', {
          pending: count('Migrations not applied yet.'),
          latest: { type: ['string', 'null'], description: 'The newest applied migration, or null.' },
        }),
      },
      ['reason', 'database', 'migrations'],
    ),
    ReadinessReady: refined('Readiness', 'Serving, with the database answering (or every pooled connection busy): route traffic here.', {
      properties: {
        status: { enum: ['pass', 'warn'] },
        phase: { const: 'serving' },
        reason: { enum: ['migrations_pending', 'database_pool_exhausted'] },
      },
    }),
    ReadinessNotReady: refined('Readiness', 'Starting, draining, or the database is down: route traffic elsewhere.', {
      properties: { status: { const: 'fail' }, reason: true },
      required: ['reason'],
    }),
  };
}

function problemSchemas(): Record<string, JsonSchema> {
  const byStatus = (status: ProblemStatus): SchemaObject =>
    refined('Problem', `A ${status} ${STATUS_CODES[status]} problem.`, {
      properties: { status: { const: status }, title: { const: STATUS_CODES[status] }, code: { enum: PROBLEM_CODES[status] } },
    });
  return {
    Problem: closedObject('An RFC 9457 problem details body with keel’s stable code and the request id. Never echoes the request.', {
      type: { const: 'about:blank', description: 'The HTTP status says what kind of problem it is; `code` refines it.' },
      title: { type: 'string', minLength: 1, description: 'The HTTP status phrase.' },
      status: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status code.' },
      detail: { type: 'string', minLength: 1, description: 'What went wrong, safe to show; a 5xx says nothing about internals.' },
      instance: {
        type: 'string',
        pattern: `^urn:keel:request:${REQUEST_ID_PATTERN.slice(1)}`,
        description: 'Names this occurrence by its request id, never by the request path.',
      },
      code: { type: 'string', enum: ALL_PROBLEM_CODES, description: 'Stable and machine-readable: clients may branch on it.' },
      requestId: { type: 'string', pattern: REQUEST_ID_PATTERN, description: 'The X-Request-Id of the response.' },
    }),
    BadRequestProblem: byStatus(400),
    UnauthorizedProblem: byStatus(401),
    NotFoundProblem: byStatus(404),
    MethodNotAllowedProblem: byStatus(405),
    RequestTimeoutProblem: byStatus(408),
    ConflictProblem: byStatus(409),
    PayloadTooLargeProblem: byStatus(413),
    UriTooLongProblem: byStatus(414),
    UnsupportedMediaTypeProblem: byStatus(415),
    InternalErrorProblem: byStatus(500),
    ServiceUnavailableProblem: byStatus(503),
  };
}

/** The served document itself, described loosely: validators for OpenAPI 3.1 check the rest. */
const OPENAPI_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'An OpenAPI 3.1 document: this one.',
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.[0-9]+$' },
    info: { type: 'object', properties: { title: { type: 'string' }, version: { type: 'string' } }, required: ['title', 'version'] },
    jsonSchemaDialect: { type: 'string' },
    servers: { type: 'array' },
    paths: { type: 'object' },
    webhooks: { type: 'object' },
    components: { type: 'object' },
    security: { type: 'array' },
    tags: { type: 'array' },
    externalDocs: { type: 'object' },
  },
  required: ['openapi', 'info', 'paths'],
  patternProperties: { '^x-': true },
  additionalProperties: false,
};

// ─── Examples (made by the real views from fixed inputs) ─────────────────────────────────────────

const EXAMPLE_NOW = new Date('2026-01-15T09:30:00.000Z');
const EXAMPLE_REQUEST_ID = '3f0c9a4e-5b7d-4e21-8c6a-9d2f1b0e7a54';
const EXAMPLE_MIGRATIONS = { applied: 1, pending: 0, unknown: 0, latest: '20260101000000-foundation.js' } as const;
const IDLE_POOL: PoolStats = { size: 1, available: 1, using: 0, waiting: 0, max: 10, min: 0 };
const EMPTY_POOL: PoolStats = { size: 0, available: 0, using: 0, waiting: 0, max: 10, min: 0 };

function report(status: ProbeReport['status'], extra: Partial<ProbeReport> = {}): ProbeReport {
  return { status, responseTimeMs: 1.24, checkedAt: EXAMPLE_NOW, cached: true, pool: IDLE_POOL, ...extra };
}

const UNREACHABLE = report('fail', {
  responseTimeMs: 502.7,
  cached: false,
  pool: EMPTY_POOL,
  fault: { code: 'database_unavailable', detail: 'The database cannot be reached.' },
});
const EXHAUSTED = report('fail', {
  responseTimeMs: 1000.31,
  cached: false,
  pool: { size: 10, available: 0, using: 10, waiting: 4, max: 10, min: 0 },
  fault: { code: 'database_pool_exhausted', detail: 'No database connection became free in time.' },
});

const example = (summary: string, value: unknown): Example => ({ summary, value });

function problemExample(summary: string, status: ProblemStatus, code: string, detail: string): Example {
  return example(summary, problemBody({ status, code, detail, requestId: EXAMPLE_REQUEST_ID }));
}

// ─── Responses ───────────────────────────────────────────────────────────────────────────────────

const problemContent = (schema: string, examples: Readonly<Record<string, Example>>): Readonly<Record<string, MediaType>> => ({
  [PROBLEM_JSON]: { schema: schemaRef(schema), examples },
});

const serviceUnavailableExamples = {
  request_timeout: problemExample(
    'The request deadline (REQUEST_DEADLINE_MS) passed',
    503,
    'request_timeout',
    'The request took too long and was abandoned.',
  ),
  database_unavailable: problemExample('The database cannot be reached', 503, 'database_unavailable', 'The database cannot be reached.'),
};

function sharedResponses(): Record<string, Response> {
  return {
    BadRequest: {
      description: 'The request could not be read: malformed JSON, a body that does not match its Content-Length, or an aborted upload.',
      headers: noStoreHeaders(),
      content: problemContent('BadRequestProblem', {
        malformed_json: problemExample('A malformed JSON body', 400, 'malformed_json', 'The request body is not valid JSON.'),
      }),
    },
    NotFound: {
      description: 'No resource exists at this path.',
      headers: noStoreHeaders(),
      content: problemContent('NotFoundProblem', {
        not_found: problemExample('An unknown path', 404, 'not_found', new NotFoundError().detail),
      }),
    },
    MethodNotAllowed: {
      description: 'The path exists but does not support this method; Allow lists the ones it does.',
      headers: noStoreHeaders({ Allow: headerRef('Allow') }),
      content: problemContent('MethodNotAllowedProblem', {
        method_not_allowed: problemExample(
          'POST on a read-only resource',
          405,
          'method_not_allowed',
          new MethodNotAllowedError(['GET', 'HEAD']).detail,
        ),
      }),
    },
    Unauthorized: {
      description: 'The resource needs a bearer token, and the request has none or a wrong one.',
      headers: noStoreHeaders({ 'WWW-Authenticate': headerRef('WwwAuthenticate') }),
      content: problemContent('UnauthorizedProblem', {
        unauthorized: problemExample('No bearer token', 401, 'unauthorized', 'This resource needs a valid bearer token.'),
      }),
    },
    UriTooLong: {
      description: `The request URL is longer than ${MAX_URL_LENGTH} characters.`,
      headers: noStoreHeaders(),
      content: problemContent('UriTooLongProblem', {
        uri_too_long: problemExample(
          'A URL over the limit',
          414,
          'uri_too_long',
          `The request URL is longer than ${MAX_URL_LENGTH} characters.`,
        ),
      }),
    },
    RequestTimeout: {
      description: 'The request body was still arriving at REQUEST_DEADLINE_MS (a stalled or trickled upload). The connection is closed.',
      headers: noStoreHeaders(),
      content: problemContent('RequestTimeoutProblem', {
        request_body_timeout: problemExample(
          'A body that stopped arriving',
          408,
          'request_body_timeout',
          'The request body was not received in time.',
        ),
      }),
    },
    PayloadTooLarge: {
      description: 'The request body is larger than JSON_BODY_LIMIT_KB.',
      headers: noStoreHeaders(),
      content: problemContent('PayloadTooLargeProblem', {
        payload_too_large: problemExample(
          'A body over the limit',
          413,
          'payload_too_large',
          'The request body is larger than this service accepts.',
        ),
      }),
    },
    UnsupportedMediaType: {
      description: 'The request body uses a Content-Encoding or charset keel does not read.',
      headers: noStoreHeaders(),
      content: problemContent('UnsupportedMediaTypeProblem', {
        unsupported_charset: problemExample(
          'A JSON body in latin1',
          415,
          'unsupported_charset',
          'The request body uses an unsupported charset.',
        ),
      }),
    },
    InternalError: {
      description: 'An unexpected fault. Logged with its stack; the body says nothing about it.',
      headers: noStoreHeaders(),
      content: problemContent('InternalErrorProblem', {
        internal_error: problemExample('A bug', 500, 'internal_error', 'An unexpected error occurred.'),
      }),
    },
    ServiceUnavailable: {
      description:
        'A dependency is unavailable (the database) or the request deadline passed. Try again after Retry-After. ' +
        'A request_timeout on a method that is not idempotent (POST, PATCH) carries no Retry-After: its outcome is unknown.',
      headers: noStoreHeaders({ 'Retry-After': headerRef('RetryAfter') }),
      content: problemContent('ServiceUnavailableProblem', serviceUnavailableExamples),
    },
  };
}

/** What any request can meet before or outside its route: the URL length limit, the body parser, a bug, the request deadline. */
const REQUEST_ERRORS: Responses = {
  '400': responseRef('BadRequest'),
  '408': responseRef('RequestTimeout'),
  '413': responseRef('PayloadTooLarge'),
  '414': responseRef('UriTooLong'),
  '415': responseRef('UnsupportedMediaType'),
  '500': responseRef('InternalError'),
};

// ─── Paths ───────────────────────────────────────────────────────────────────────────────────────

/** A read-only resource: GET, HEAD (the same without a body), and 405 for any other method. */
function readOnlyPath(
  summary: string,
  get: Omit<Operation, 'tags'> & { readonly tag: string },
  otherMethodResponses: Responses = {},
): PathItem {
  const { tag, ...operation } = get;
  return {
    summary,
    get: { ...operation, tags: [tag] },
    head: {
      ...operation,
      operationId: operation.operationId.replace(/^get/, 'head'),
      summary: `${operation.summary} (headers only)`,
      description: 'The same status and headers as GET, without the body.',
      tags: [tag],
    },
    'x-other-methods': {
      description: 'Any other method is answered 405 with Allow: GET, HEAD (after the body parser, which may answer first).',
      responses: {
        '405': responseRef('MethodNotAllowed'),
        ...REQUEST_ERRORS,
        '503': responseRef('ServiceUnavailable'),
        ...otherMethodResponses,
      },
    },
  };
}

function livenessPath(version: string): PathItem {
  return readOnlyPath('Liveness', {
    tag: 'health',
    operationId: 'getLiveness',
    summary: 'Is the process alive?',
    description: 'For restart-on-failure checks only. Never touches the database; stays 200 while draining.',
    responses: {
      '200': {
        description: 'Alive.',
        headers: noStoreHeaders(),
        content: {
          [HEALTH_JSON]: {
            schema: schemaRef('Liveness'),
            examples: { alive: example('Alive', livenessBody({ version, uptimeSeconds: 3723.412, now: EXAMPLE_NOW })) },
          },
        },
      },
      ...REQUEST_ERRORS,
      '503': responseRef('ServiceUnavailable'),
    },
  });
}

function databaseHealthPath(): PathItem {
  const downReplica = report('fail', {
    responseTimeMs: 503.2,
    cached: false,
    pool: EMPTY_POOL,
    fault: { code: 'database_unavailable', detail: 'The database cannot be reached.' },
  });
  return readOnlyPath('Database health', {
    tag: 'health',
    operationId: 'getDatabaseHealth',
    summary: 'Can the service reach its database?',
    description:
      'Reachability, probe time, pool counters and migrations, for dashboards and alerts. Concurrent requests share one probe, ' +
      'and a finished result is reused for DB_PROBE_CACHE_MS (cached: true).',
    responses: {
      '200': {
        description: 'The database answers (pass), or answers slowly or a replica is down (warn).',
        headers: noStoreHeaders(),
        content: {
          [HEALTH_JSON]: {
            schema: schemaRef('DatabaseHealthUp'),
            examples: {
              pass: example('The database answers', databaseHealthBody(report('pass'), EXAMPLE_MIGRATIONS)),
              replica_down: example(
                'A read replica is down: reads go to the primary',
                databaseHealthBody(report('pass', { cached: false }), EXAMPLE_MIGRATIONS, downReplica),
              ),
            },
          },
        },
      },
      ...REQUEST_ERRORS,
      '503': {
        description:
          'The database did not answer within DB_PROBE_TIMEOUT_MS (a health body with the reason in code), or the request failed ' +
          'on its way (a problem body: the request deadline passed, or the database failed after the probe).',
        // Only the problem body (request deadline) sets it: the health body of a database outage does not.
        headers: noStoreHeaders({ 'Retry-After': { ...RETRY_AFTER, required: false } }),
        content: {
          [HEALTH_JSON]: {
            schema: schemaRef('DatabaseHealthDown'),
            examples: {
              database_unavailable: example('The database cannot be reached', databaseHealthBody(UNREACHABLE)),
              database_pool_exhausted: example('Every connection is busy', databaseHealthBody(EXHAUSTED)),
            },
          },
          [PROBLEM_JSON]: { schema: schemaRef('ServiceUnavailableProblem'), examples: serviceUnavailableExamples },
        },
      },
    },
  });
}

function readinessPath(): PathItem {
  const ready = (input: Omit<Parameters<typeof readinessBody>[0], 'now' | 'pendingMigrations' | 'poolExhausted'>): unknown =>
    readinessBody({ now: EXAMPLE_NOW, pendingMigrations: 'warn', poolExhausted: 'warn', ...input });
  return readOnlyPath('Readiness', {
    tag: 'health',
    operationId: 'getReadiness',
    summary: 'Should a load balancer route traffic here?',
    description:
      'Point the load balancer here. Fails while starting, as soon as shutdown begins, and while the database is unreachable; ' +
      'recovers by itself. Pending migrations make it warn (or fail, with MIGRATIONS_PENDING_READINESS=fail); so does a pool ' +
      'with every connection busy (or fail, with POOL_EXHAUSTED_READINESS=fail).',
    responses: {
      '200': {
        description: 'Serving with the database answering: route traffic here.',
        headers: noStoreHeaders(),
        content: {
          [HEALTH_JSON]: {
            schema: schemaRef('ReadinessReady'),
            examples: {
              pass: example('Ready', ready({ phase: 'serving', database: report('pass'), migrations: EXAMPLE_MIGRATIONS })),
              migrations_pending: example(
                'Ready, but the release phase did not run',
                ready({
                  phase: 'serving',
                  database: report('pass'),
                  migrations: { ...EXAMPLE_MIGRATIONS, applied: 0, pending: 1, latest: null },
                }),
              ),
              database_pool_exhausted: example(
                'Ready, with every pooled connection busy (a traffic spike)',
                ready({ phase: 'serving', database: EXHAUSTED, migrations: EXAMPLE_MIGRATIONS }),
              ),
            },
          },
        },
      },
      ...REQUEST_ERRORS,
      '503': {
        description:
          'Not ready: starting, draining, or the database is unreachable (a health body), or the request failed on its way (a problem body).',
        headers: noStoreHeaders({ 'Retry-After': headerRef('RetryAfter') }),
        content: {
          [HEALTH_JSON]: {
            schema: schemaRef('ReadinessNotReady'),
            examples: {
              draining: example('Shutdown began', ready({ phase: 'draining' })),
              starting: example('Not listening yet', ready({ phase: 'starting' })),
              database_unavailable: example('The database cannot be reached', ready({ phase: 'serving', database: UNREACHABLE })),
            },
          },
          [PROBLEM_JSON]: { schema: schemaRef('ServiceUnavailableProblem'), examples: serviceUnavailableExamples },
        },
      },
    },
  });
}

function openApiPath(version: string): PathItem {
  const documentHeaders = {
    'X-Request-Id': headerRef('RequestId'),
    'Cache-Control': headerRef('DocumentCacheControl'),
    ETag: headerRef('ETag'),
  };
  return readOnlyPath('This document', {
    tag: 'meta',
    operationId: 'getOpenApiDocument',
    summary: 'The OpenAPI document',
    description: 'This OpenAPI 3.1 document, with info.version the package version of the running service.',
    responses: {
      '200': {
        description: 'The document.',
        headers: documentHeaders,
        content: {
          [JSON_MEDIA_TYPE]: {
            schema: schemaRef('OpenApiDocument'),
            examples: {
              outline: example('Its outline', { openapi: OPENAPI_VERSION, info: { title: 'keel', version }, paths: {} }),
            },
          },
        },
      },
      '304': { description: 'Not modified since the ETag in If-None-Match.', headers: documentHeaders },
      ...REQUEST_ERRORS,
      '503': responseRef('ServiceUnavailable'),
    },
  });
}

const METRICS_EXAMPLE = `# HELP http_request_duration_seconds HTTP request duration, by method, route template and status
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005",method="GET",route="/health/ready",status="200"} 118
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/health/ready",status="200"} 120
http_request_duration_seconds_sum{method="GET",route="/health/ready",status="200"} 0.214
http_request_duration_seconds_count{method="GET",route="/health/ready",status="200"} 120
# HELP keel_db_pool_connections Database pool connections by pool and state (size = open, available = idle, using, waiting = queued callers, max)
# TYPE keel_db_pool_connections gauge
keel_db_pool_connections{pool="primary",state="size"} 1
keel_db_pool_connections{pool="primary",state="max"} 10
# HELP keel_db_probe_up Latest database health probe result by pool: 1 pass or warn, 0 fail (absent before the first probe)
# TYPE keel_db_probe_up gauge
keel_db_probe_up{pool="primary"} 1
`;

function metricsPath(): PathItem {
  const whenOff = { '404': responseRef('NotFound') };
  return readOnlyPath(
    'Prometheus metrics',
    {
      tag: 'meta',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description:
        'Request durations by method, route template and status; pool and probe gauges; process and event-loop metrics. ' +
        'On in development and test; in staging and production only with METRICS_TOKEN, and then behind that bearer token. ' +
        'When off, the path does not exist (404).',
      responses: {
        '200': {
          description: 'The metrics, in the Prometheus text format.',
          headers: noStoreHeaders(),
          content: {
            [METRICS_MEDIA_TYPE]: {
              schema: { type: 'string', minLength: 1 },
              examples: { scrape: example('An excerpt of a scrape', METRICS_EXAMPLE) },
            },
          },
        },
        '401': responseRef('Unauthorized'),
        ...whenOff,
        ...REQUEST_ERRORS,
        '503': responseRef('ServiceUnavailable'),
      },
    },
    whenOff,
  );
}

// ─── The document ────────────────────────────────────────────────────────────────────────────────

const DESCRIPTION = `keel's health endpoints, its metrics and its error contract.

- Every response carries **X-Request-Id**; every error is an RFC 9457 \`application/problem+json\` body with a stable \`code\`
  and the \`requestId\`. Health and error responses are \`Cache-Control: no-store\`.
- A path this document does not list is answered 404 (\`x-other-paths\`); a method a path does not list, 405 with Allow
  (\`x-other-methods\`). Whatever its path, a request may be answered 414 (a URL over ${MAX_URL_LENGTH} characters), or 400,
  413 or 415 (its body) before routing.
- Status values of health bodies follow the IETF health-check draft: pass, warn, fail.`;

/** The OpenAPI 3.1 document of keel, with info.version = the package version. */
export function openApiDocument(version: string): OpenApiDocument {
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'keel',
      version,
      summary: 'A production-grade foundation for HTTP services: Express 4 + TypeScript on PostgreSQL.',
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      { name: 'health', description: 'Liveness, database health and readiness, for load balancers and monitoring.' },
      { name: 'meta', description: 'The service describing itself.' },
    ],
    paths: {
      '/health': livenessPath(version),
      '/health/db': databaseHealthPath(),
      '/health/ready': readinessPath(),
      '/openapi.json': openApiPath(version),
      '/metrics': metricsPath(),
    },
    components: {
      schemas: { ...healthSchemas(), ...problemSchemas(), OpenApiDocument: OPENAPI_BODY_SCHEMA },
      responses: sharedResponses(),
      headers: HEADERS,
    },
    'x-other-paths': {
      description: 'Any path not listed: 404 (after the body parser, which may answer first).',
      responses: { '404': responseRef('NotFound'), ...REQUEST_ERRORS, '503': responseRef('ServiceUnavailable') },
    },
  };
}

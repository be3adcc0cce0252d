import { cleanEnv, str, EnvMissingError } from 'envalid';
import { authConfig, authProblems, authSpec, type AuthConfig } from './auth';
import { databaseSpec, defaultDatabaseSsl } from './database';
import { embeddedDataDir, embeddedDatabaseSpec } from './embedded-database';
import { isDeployed } from './deployed';
import { integerBetween, metricsToken, postgresUrlList, withoutEmptyValues } from './validators';
import { projectRoot, readPackageInfo } from './project';
import { tracingConfig, tracingSpec, type TracingConfig } from './tracing';

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const deployed = (env: Record<string, unknown>): boolean => isDeployed(env.NODE_ENV);

export const envSpec = {
  NODE_ENV: str({ choices: ENVIRONMENTS, default: 'development', desc: 'development, test, staging or production' }),
  PORT: integerBetween(0, 65_535)({ default: 3000, desc: 'TCP port the HTTP server listens on (the platform sets it)' }),
  LOG_LEVEL: str({ choices: LOG_LEVELS, default: undefined, desc: 'silent, error, warn, info, http, verbose, debug or silly' }),
  JSON_BODY_LIMIT_KB: integerBetween(1, 10_240)({ default: 100, desc: 'largest JSON request body accepted, in KiB' }),
  SHUTDOWN_TIMEOUT_MS: integerBetween(
    1_000,
    29_000,
  )({
    default: 25_000,
    desc: 'after SIGTERM, force-close what is still open and exit 1 after this long (below the platform kill grace of 30 s)',
  }),
  SHUTDOWN_DRAIN_DELAY_MS: integerBetween(
    0,
    28_000,
  )({
    default: 0,
    desc: 'after SIGTERM, keep serving (readiness 503) this long before closing the listener; behind a balancer that polls readiness, more than its check interval × failures to mark down + check timeout',
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integerBetween(
    1_000,
    600_000,
  )({
    default: 65_000,
    desc: 'idle keep-alive sockets close after this; keep it above the router or load balancer idle timeout (60 s on most)',
  }),
  HTTP_HEADERS_TIMEOUT_MS: integerBetween(
    1_000,
    600_000,
  )({
    default: 66_000,
    desc: 'a client must send complete request headers within this (must exceed HTTP_KEEP_ALIVE_TIMEOUT_MS)',
  }),
  HTTP_REQUEST_TIMEOUT_MS: integerBetween(
    1_000,
    600_000,
  )({
    default: 70_000,
    desc: 'a client must send the whole request within this (at least HTTP_HEADERS_TIMEOUT_MS)',
  }),
  REQUEST_DEADLINE_MS: integerBetween(
    1_000,
    29_000,
  )({
    default: 25_000,
    desc: 'a request not answered within this gets 503 (below the router timeout of 30 s; above DB_STATEMENT_TIMEOUT_MS)',
  }),
  DB_PROBE_TIMEOUT_MS: integerBetween(
    100,
    10_000,
  )({
    default: 1_000,
    desc: '/health/db and /health/ready answer 503 when the database probe takes longer; the probe query is cancelled',
  }),
  DB_PROBE_CACHE_MS: integerBetween(
    0,
    60_000,
  )({
    default: 1_000,
    desc: 'a finished probe result is reused this long: at most one probe statement per window per process',
  }),
  DB_PROBE_WARN_MS: integerBetween(
    1,
    10_000,
  )({
    default: 250,
    desc: 'a probe slower than this reports warn (below DB_PROBE_TIMEOUT_MS)',
  }),
  DB_REPLICA_LAG_WARN_MS: integerBetween(
    1,
    86_400_000,
  )({
    default: 10_000,
    desc: 'a read replica further behind the primary than this reports warn in /health/db and is taken out of reads',
  }),
  DB_IDLE_IN_TRANSACTION_MS: integerBetween(
    100,
    600_000,
  )({
    default: undefined,
    desc: 'server-side idle_in_transaction_session_timeout: a transaction left idle this long is ended with its session (above DB_STATEMENT_TIMEOUT_MS, below REQUEST_DEADLINE_MS; default halfway between them)',
  }),
  // Choices rather than envalid's bool(), whose error message repeats the value.
  DB_ALLOW_RLS_BYPASS: str({
    choices: ['true', 'false'] as const,
    default: 'false',
    desc: 'true: a database role that bypasses row-level security (superuser, BYPASSRLS) is intended; staging and production then warn instead of exiting 1',
  }),
  DATABASE_REPLICA_URLS: postgresUrlList({
    default: [],
    desc: 'comma-separated postgres:// URLs of read replicas, each with its own pool: reads outside transactions go there, round-robin (optional)',
  }),
  WEB_CONCURRENCY: integerBetween(
    1,
    64,
  )({
    default: 1,
    desc: 'number of worker processes (node:cluster); the platform may set it from the dyno size',
  }),
  METRICS_TOKEN: metricsToken({
    default: undefined,
    desc: 'bearer token for GET /metrics; without it /metrics is open in development/test and off in staging/production',
  }),
  API_DOCS: str({
    choices: ['on', 'off'] as const,
    default: undefined,
    desc: 'the interactive API documentation at /docs: on or off; unset, on in development/test and off in staging/production',
  }),
  SLOW_QUERY_MS: integerBetween(
    1,
    600_000,
  )({
    default: 500,
    desc: 'queries slower than this are logged at warn (SQL text only in development)',
  }),
  MIGRATIONS_PENDING_READINESS: str({
    choices: ['warn', 'fail'] as const,
    default: 'warn',
    desc: 'what /health/ready reports while migrations on disk are not applied: warn (still 200) or fail (503)',
  }),
  POOL_EXHAUSTED_READINESS: str({
    choices: ['warn', 'fail'] as const,
    default: 'warn',
    desc: 'what /health/ready reports while every pooled connection is busy: warn (still 200) or fail (503)',
  }),
  ...authSpec,
  ...tracingSpec,
  ...embeddedDatabaseSpec,
  ...databaseSpec,
  DATABASE_URL: { ...databaseSpec.DATABASE_URL, requiredWhen: deployed },
};

export interface DatabaseConfig {
  /** Undefined outside staging/production means: start the embedded PostgreSQL. */
  readonly url: string | undefined;
  /** Read replicas; empty: every query goes to the primary. */
  readonly replicaUrls: readonly string[];
  /** Replay lag above which a replica reports warn. */
  readonly replicaLagWarnMs: number;
  /** DATABASE_SSL, or its default for the environment: the TLS of every URL without its own sslmode. */
  readonly ssl: 'off' | 'no-verify' | 'verify';
  /** DATABASE_SSL_CA's PEM text: the trust anchor when a certificate is verified. */
  readonly sslCa: string | undefined;
  readonly pool: {
    readonly max: number;
    readonly min: number;
    readonly idleMs: number;
    readonly evictMs: number;
    readonly acquireMs: number;
  };
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  /** idle_in_transaction_session_timeout: a transaction whose request has gone cannot hold its locks longer. */
  readonly idleInTransactionTimeoutMs: number;
  readonly applicationName: string;
  readonly probe: { readonly timeoutMs: number; readonly cacheMs: number; readonly warnMs: number };
  readonly slowQueryMs: number;
  /** SQL text in slow-query logs: development only (it can carry literal values). */
  readonly logSqlText: boolean;
  /** DB_ALLOW_RLS_BYPASS: a role that bypasses row-level security is intended (bin/role-guard.ts). */
  readonly allowRlsBypass: boolean;
}

export interface Config {
  readonly env: Environment;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly http: {
    readonly jsonBodyLimitBytes: number;
    readonly keepAliveTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly requestDeadlineMs: number;
  };
  readonly shutdown: { readonly timeoutMs: number; readonly drainDelayMs: number };
  readonly health: { readonly pendingMigrations: 'warn' | 'fail'; readonly poolExhausted: 'warn' | 'fail' };
  readonly workers: number;
  /** undefined: /metrics is open outside staging/production and off inside. */
  readonly metrics: { readonly enabled: boolean; readonly token: string | undefined };
  /** The page at /docs: it describes the whole API to whoever reaches it, so deployed only when asked for. */
  readonly apiDocs: { readonly enabled: boolean };
  readonly database: DatabaseConfig;
  /** Who is calling: bearer tokens and the keys that verify them (config/auth.ts). */
  readonly auth: AuthConfig;
  /** Traces: OpenTelemetry over OTLP/HTTP, off unless an endpoint is set (config/tracing.ts). */
  readonly tracing: TracingConfig;
  readonly embeddedDatabase: { readonly port: number; readonly dataDir: string };
}

/** Thrown when the environment is invalid; its message names each variable and its rule. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const DEFAULT_LOG_LEVEL: Record<Environment, LogLevel> = {
  development: 'debug',
  test: 'silent',
  staging: 'info',
  production: 'info',
};

function describeError(name: string, error: Error): string {
  if (error instanceof EnvMissingError) return `${name}: is required (${error.message})`;
  // envalid's own message for a value outside the choices quotes the value: state the rule only.
  const choices = (envSpec as Record<string, { choices?: readonly string[] }>)[name]?.choices;
  if (choices) return `${name}: must be one of ${choices.join(', ')}`;
  return `${name}: ${error.message}`;
}

type Clean = ReturnType<typeof cleanEnv<typeof envSpec>>;

// Each wait must give up before the one around it, so the innermost failure is the one reported.
const ORDERED_BUDGETS: readonly [inner: keyof Clean & string, outer: keyof Clean & string, why: string][] = [
  ['DB_CONNECT_TIMEOUT_MS', 'DB_POOL_ACQUIRE_MS', 'waiting for a connection includes opening one'],
  ['DB_POOL_ACQUIRE_MS', 'DB_STATEMENT_TIMEOUT_MS', 'a query waits for a connection, then runs'],
  ['DB_STATEMENT_TIMEOUT_MS', 'REQUEST_DEADLINE_MS', 'a request must outlive the statements it runs'],
  // Unset (NaN) compares as in order: the default is derived between the two.
  ['DB_STATEMENT_TIMEOUT_MS', 'DB_IDLE_IN_TRANSACTION_MS', 'a transaction may wait between its statements for another query'],
  ['DB_IDLE_IN_TRANSACTION_MS', 'REQUEST_DEADLINE_MS', 'no transaction may stay open, idle, after its request is over'],
  ['DB_PROBE_WARN_MS', 'DB_PROBE_TIMEOUT_MS', 'a slow probe is one that still finished'],
  ['HTTP_KEEP_ALIVE_TIMEOUT_MS', 'HTTP_HEADERS_TIMEOUT_MS', 'Node needs the headers timeout above the keep-alive timeout'],
  ['SHUTDOWN_DRAIN_DELAY_MS', 'SHUTDOWN_TIMEOUT_MS', 'the drain delay is part of the shutdown deadline'],
];

function timeBudgetProblems(clean: Clean): string[] {
  const problems: string[] = [];
  for (const [inner, outer, why] of ORDERED_BUDGETS) {
    if (Number(clean[outer]) <= Number(clean[inner])) problems.push(`${outer}: must be greater than ${inner} (${why})`);
  }
  if (clean.HTTP_REQUEST_TIMEOUT_MS < clean.HTTP_HEADERS_TIMEOUT_MS) {
    problems.push('HTTP_REQUEST_TIMEOUT_MS: must be at least HTTP_HEADERS_TIMEOUT_MS (the whole request includes its headers)');
  }
  return problems;
}

/**
 * Validates the whole environment at once and returns a frozen, typed config.
 * Throws ConfigError listing every bad variable; the message never contains a value.
 */
export function loadConfig(rawEnv: NodeJS.ProcessEnv): Config {
  const problems: string[] = [];
  const clean = cleanEnv(withoutEmptyValues(rawEnv), envSpec, {
    reporter: ({ errors }) => {
      for (const [name, error] of Object.entries(errors)) if (error) problems.push(describeError(name, error));
    },
  });
  if (problems.length === 0) problems.push(...timeBudgetProblems(clean));
  // What the AUTH_* variables say together, once each of them is valid on its own (envalid's result throws
  // on reading an invalid one); a deployment without an issuer is reported beside any other problem.
  const reported = new Set(problems.map((problem) => problem.slice(0, problem.indexOf(':'))));
  if (!['NODE_ENV', ...Object.keys(authSpec)].some((name) => reported.has(name))) {
    problems.push(...authProblems(clean, isDeployed(clean.NODE_ENV)));
  }
  if (problems.length > 0) throw new ConfigError(problems.sort());

  const config: Config = {
    env: clean.NODE_ENV,
    port: clean.PORT,
    logLevel: clean.LOG_LEVEL ?? DEFAULT_LOG_LEVEL[clean.NODE_ENV],
    http: {
      jsonBodyLimitBytes: clean.JSON_BODY_LIMIT_KB * 1024,
      keepAliveTimeoutMs: clean.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      headersTimeoutMs: clean.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: clean.HTTP_REQUEST_TIMEOUT_MS,
      requestDeadlineMs: clean.REQUEST_DEADLINE_MS,
    },
    shutdown: { timeoutMs: clean.SHUTDOWN_TIMEOUT_MS, drainDelayMs: clean.SHUTDOWN_DRAIN_DELAY_MS },
    health: { pendingMigrations: clean.MIGRATIONS_PENDING_READINESS, poolExhausted: clean.POOL_EXHAUSTED_READINESS },
    workers: clean.WEB_CONCURRENCY,
    metrics: { enabled: clean.METRICS_TOKEN !== undefined || !isDeployed(clean.NODE_ENV), token: clean.METRICS_TOKEN },
    apiDocs: { enabled: (clean.API_DOCS ?? (isDeployed(clean.NODE_ENV) ? 'off' : 'on')) === 'on' },
    database: {
      url: clean.DATABASE_URL,
      replicaUrls: clean.DATABASE_REPLICA_URLS,
      replicaLagWarnMs: clean.DB_REPLICA_LAG_WARN_MS,
      ssl: clean.DATABASE_SSL ?? defaultDatabaseSsl(clean.NODE_ENV),
      sslCa: clean.DATABASE_SSL_CA,
      pool: {
        max: clean.DB_POOL_MAX,
        min: Math.min(clean.DB_POOL_MIN, clean.DB_POOL_MAX),
        idleMs: clean.DB_POOL_IDLE_MS,
        evictMs: clean.DB_POOL_EVICT_MS,
        acquireMs: clean.DB_POOL_ACQUIRE_MS,
      },
      connectTimeoutMs: clean.DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: clean.DB_STATEMENT_TIMEOUT_MS,
      idleInTransactionTimeoutMs:
        clean.DB_IDLE_IN_TRANSACTION_MS ?? Math.floor((clean.DB_STATEMENT_TIMEOUT_MS + clean.REQUEST_DEADLINE_MS) / 2),
      applicationName: 'keel',
      probe: { timeoutMs: clean.DB_PROBE_TIMEOUT_MS, cacheMs: clean.DB_PROBE_CACHE_MS, warnMs: clean.DB_PROBE_WARN_MS },
      slowQueryMs: clean.SLOW_QUERY_MS,
      logSqlText: clean.NODE_ENV === 'development',
      allowRlsBypass: clean.DB_ALLOW_RLS_BYPASS === 'true',
    },
    auth: authConfig(clean, projectRoot(), readPackageInfo().name),
    tracing: tracingConfig(clean, readPackageInfo()),
    embeddedDatabase: {
      port: clean.EMBEDDED_DATABASE_PORT,
      dataDir: embeddedDataDir(clean.EMBEDDED_DATABASE_DIR, projectRoot()),
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}

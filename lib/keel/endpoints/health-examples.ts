import type { PoolStats, ProbeReport } from '../db';
import { databaseFault } from '../db/faults';
import { databaseHealthBody, livenessBody, readinessBody, type ReadinessInput } from './health-views';

// The examples of the OpenAPI document, made by the real views from fixed inputs: they show exactly
// what the service sends, and the suite validates each against its own schema.

const EXAMPLE_NOW = new Date('2026-01-15T09:30:00.000Z');
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
  fault: databaseFault('database_unavailable', 'refused'),
});
const AUTH_FAILED = report('fail', {
  responseTimeMs: 12.4,
  cached: false,
  pool: EMPTY_POOL,
  fault: databaseFault('database_auth_failed', 'authentication_failed'),
});
const EXHAUSTED = report('fail', {
  responseTimeMs: 1000.31,
  cached: false,
  pool: { size: 10, available: 0, using: 10, waiting: 4, max: 10, min: 0 },
  fault: databaseFault('database_pool_exhausted'),
});
const DOWN_REPLICA = report('fail', {
  responseTimeMs: 503.2,
  cached: false,
  pool: EMPTY_POOL,
  fault: databaseFault('database_unavailable', 'refused'),
});
const STREAMING: ProbeReport['replication'] = { state: 'streaming', replayLagMs: 0, status: 'pass' };
const LAGGING: ProbeReport['replication'] = { state: 'streaming', replayLagMs: 48_210, status: 'warn', code: 'replication_lagging' };
const REPLICAS_ONE_DOWN = [
  { server: '10.0.4.12:5432', report: report('pass', { replication: STREAMING }) },
  { server: '10.0.4.13:5432', report: DOWN_REPLICA },
];
const REPLICAS_ONE_LAGGING = [
  { server: '10.0.4.12:5432', report: report('pass', { replication: STREAMING }) },
  { server: '10.0.4.13:5432', report: report('warn', { responseTimeMs: 2.1, replication: LAGGING }) },
];

const example = (summary: string, value: unknown) => ({ summary, value });
const ready = (input: Omit<ReadinessInput, 'now' | 'pendingMigrations' | 'poolExhausted'>) =>
  readinessBody({ now: EXAMPLE_NOW, pendingMigrations: 'warn', poolExhausted: 'warn', ...input });

/** Examples name a version of their own: the served document's is in info.version. */
export const EXAMPLE_VERSION = '1.4.2';

export const LIVENESS_EXAMPLES = {
  alive: example('Alive', livenessBody({ version: EXAMPLE_VERSION, uptimeSeconds: 3723.412, now: EXAMPLE_NOW })),
};

export const DATABASE_UP_EXAMPLES = {
  pass: example('The database answers', databaseHealthBody(report('pass'), EXAMPLE_MIGRATIONS)),
  replica_down: example(
    'One read replica is down: the other serves the reads',
    databaseHealthBody(report('pass', { cached: false }), EXAMPLE_MIGRATIONS, REPLICAS_ONE_DOWN),
  ),
  replica_lagging: example(
    'One read replica lags beyond DB_REPLICA_LAG_WARN_MS: the other serves the reads',
    databaseHealthBody(report('pass'), EXAMPLE_MIGRATIONS, REPLICAS_ONE_LAGGING),
  ),
};

export const DATABASE_DOWN_EXAMPLES = {
  database_unavailable: example('The database is unreachable', databaseHealthBody(UNREACHABLE)),
  database_auth_failed: example('The database refused the password in DATABASE_URL', databaseHealthBody(AUTH_FAILED)),
  database_pool_exhausted: example('Every connection is busy', databaseHealthBody(EXHAUSTED)),
};

export const READY_EXAMPLES = {
  pass: example('Ready', ready({ phase: 'serving', database: report('pass'), migrations: EXAMPLE_MIGRATIONS })),
  migrations_pending: example(
    'Ready, but the release phase did not run',
    ready({ phase: 'serving', database: report('pass'), migrations: { ...EXAMPLE_MIGRATIONS, applied: 0, pending: 1, latest: null } }),
  ),
  database_pool_exhausted: example(
    'Ready, with every pooled connection busy (a traffic spike)',
    ready({ phase: 'serving', database: EXHAUSTED, migrations: EXAMPLE_MIGRATIONS }),
  ),
  identity_provider_unreachable: example(
    'Ready: the identity provider is unreachable, and its cached keys still verify tokens',
    ready({ phase: 'serving', database: report('pass'), migrations: EXAMPLE_MIGRATIONS, identityProvider: { status: 'warn', keys: 2 } }),
  ),
};

export const NOT_READY_EXAMPLES = {
  draining: example('Shutdown began', ready({ phase: 'draining' })),
  starting: example('Not listening yet', ready({ phase: 'starting' })),
  database_unavailable: example('The database is unreachable', ready({ phase: 'serving', database: UNREACHABLE })),
  database_auth_failed: example('The database refused the password in DATABASE_URL', ready({ phase: 'serving', database: AUTH_FAILED })),
  identity_provider_unavailable: example(
    'No key to verify tokens with: the identity provider has not answered since boot',
    ready({ phase: 'serving', database: report('pass'), migrations: EXAMPLE_MIGRATIONS, identityProvider: { status: 'fail', keys: 0 } }),
  ),
};

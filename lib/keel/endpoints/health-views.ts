import type { MigrationState, PoolStats, ProbeReport, ProbeStatus, ReplicationReport } from '../db';
import type { ReplicaReport } from '../http/health-state';
import type { ConnectFailureCause } from '../db/faults';
import type { Phase } from '../http/lifecycle';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** IETF health-check draft status values. */
export type HealthStatus = ProbeStatus;

export const HEALTH_CONTENT_TYPE = 'application/health+json; charset=utf-8';

export interface LivenessBody {
  readonly status: HealthStatus;
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly timestamp: string;
}

export function livenessBody(input: { version: string; uptimeSeconds: number; now: Date }): LivenessBody {
  return {
    status: 'pass',
    version: input.version,
    uptimeSeconds: Math.round(input.uptimeSeconds * 1000) / 1000,
    timestamp: input.now.toISOString(),
  };
}

export interface DatabaseHealthBody {
  readonly status: HealthStatus;
  readonly responseTimeMs: number;
  readonly checkedAt: string;
  /** True when the result came from the shared probe window rather than a probe of its own. */
  readonly cached: boolean;
  readonly pool: PoolStats;
  readonly code?: string;
  readonly detail?: string;
  /** Why a connection could not be opened, when that is the fault. */
  readonly cause?: ConnectFailureCause;
  /** Known once the database has answered. */
  readonly migrations?: MigrationState;
  /** Each read replica, when configured. One in trouble degrades the status to warn: its reads go to the others, or to the primary. */
  readonly replicas?: readonly ReplicaHealth[];
}

export interface ReplicaHealth {
  /** host:port; never a user, a database or a credential. */
  readonly server: string;
  readonly status: HealthStatus;
  readonly responseTimeMs: number;
  readonly cached: boolean;
  readonly pool: PoolStats;
  /** Why it is not pass: unreachable (a database fault code), replication stopped, or lagging. */
  readonly code?: string;
  /** Known when the replica answered. */
  readonly replication?: ReplicationReport['state'];
  readonly replayLagMs?: number | null;
}

function replicaHealth({ server, report }: ReplicaReport): ReplicaHealth {
  const body: Mutable<ReplicaHealth> = {
    server,
    status: report.status,
    responseTimeMs: report.responseTimeMs,
    cached: report.cached,
    pool: report.pool,
  };
  const code = report.fault?.code ?? report.replication?.code;
  if (code) body.code = code;
  if (report.replication) {
    body.replication = report.replication.state;
    body.replayLagMs = report.replication.replayLagMs;
  }
  return body;
}

/** The primary decides pass/fail; a replica in trouble makes it at worst a warn. */
function withReplicas(status: HealthStatus, replicas?: readonly ReplicaReport[]): HealthStatus {
  return status === 'pass' && replicas?.some(({ report }) => report.status !== 'pass') ? 'warn' : status;
}

/**
 * Reports reachability, timing, pool numbers and migrations; replicas by host:port only; never the
 * primary's host or port, nor any user, database name or credential.
 */
export function databaseHealthBody(
  report: ProbeReport,
  migrations?: MigrationState,
  replicas?: readonly ReplicaReport[],
): DatabaseHealthBody {
  // Assigned, not spread: this runs on every ping (see lib/keel/db/probe.ts's report()).
  const body: Mutable<DatabaseHealthBody> = {
    status: withReplicas(report.status, replicas),
    responseTimeMs: report.responseTimeMs,
    checkedAt: report.checkedAt.toISOString(),
    cached: report.cached,
    pool: report.pool,
  };
  if (report.fault) {
    body.code = report.fault.code;
    body.detail = report.fault.detail;
    if (report.fault.cause) body.cause = report.fault.cause;
  }
  if (migrations) body.migrations = migrations;
  if (replicas) body.replicas = replicas.map(replicaHealth);
  return body;
}

export type NotReadyReason =
  | 'starting'
  | 'draining'
  | 'migrations_pending'
  | 'identity_provider_unreachable'
  | 'identity_provider_unavailable'
  | NonNullable<ProbeReport['fault']>['code'];

/** The identity provider's key set, as the token verifier holds it (lib/keel/auth). */
export interface KeySetHealth {
  /** pass: fresh keys; warn: the provider is unreachable and cached keys still verify; fail: no key at all. */
  readonly status: HealthStatus;
  readonly keys: number;
}

export interface ReadinessBody {
  readonly status: HealthStatus;
  readonly phase: Phase;
  readonly timestamp: string;
  /** Why the service should not get traffic now (status 'fail'), or what degrades it ('warn'). */
  readonly reason?: NotReadyReason;
  readonly database?: {
    readonly status: HealthStatus;
    readonly responseTimeMs: number;
    readonly cached: boolean;
    readonly cause?: ConnectFailureCause;
  };
  readonly migrations?: { readonly pending: number; readonly latest: string | null };
  readonly identityProvider?: KeySetHealth;
}

export interface ReadinessInput {
  readonly phase: Phase;
  readonly now: Date;
  readonly database?: ProbeReport;
  readonly replicas?: readonly ReplicaReport[] | undefined;
  readonly migrations?: MigrationState;
  /** Absent when no token is verified (AUTH=off). */
  readonly identityProvider?: KeySetHealth;
  /** What pending migrations make readiness: 'warn' (still 200) or 'fail' (503). */
  readonly pendingMigrations: 'warn' | 'fail';
  /**
   * What a pool with every connection busy makes readiness: 'warn' (still 200: a traffic spike busies
   * every instance at once, and failing readiness would pull them all out of the load balancer
   * together) or 'fail' (503).
   */
  readonly poolExhausted: 'warn' | 'fail';
}

const SEVERITY: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 };
const worst = (a: HealthStatus, b: HealthStatus): HealthStatus => (SEVERITY[a] >= SEVERITY[b] ? a : b);

export function readinessBody(input: ReadinessInput): ReadinessBody {
  const { phase, database, migrations } = input;
  const pending = (migrations?.pending ?? 0) > 0;
  let status: HealthStatus = withReplicas(database?.status ?? 'pass', input.replicas);
  let reason: NotReadyReason | undefined;
  if (phase !== 'serving') {
    status = 'fail';
    reason = phase;
  } else if (database?.fault) {
    reason = database.fault.code;
    if (reason === 'database_pool_exhausted') status = input.poolExhausted;
    if (pending && SEVERITY[input.pendingMigrations] > SEVERITY[status]) {
      status = input.pendingMigrations;
      reason = 'migrations_pending';
    }
  } else if (pending) {
    status = worst(status, input.pendingMigrations);
    reason = 'migrations_pending';
  }
  // Without a key no caller can be verified: fail, so a new instance takes no traffic the old ones can serve.
  // Unreachable with keys cached: warn, still routed, as every instance would be pulled out at once otherwise.
  const provider = input.identityProvider;
  if (phase === 'serving' && provider && SEVERITY[provider.status] > SEVERITY[status]) {
    status = provider.status;
    reason = provider.status === 'fail' ? 'identity_provider_unavailable' : 'identity_provider_unreachable';
  }
  const body: Mutable<ReadinessBody> = { status, phase, timestamp: input.now.toISOString() };
  if (reason) body.reason = reason;
  if (database) {
    const { status: databaseStatus, responseTimeMs, cached, fault } = database;
    body.database = fault?.cause
      ? { status: databaseStatus, responseTimeMs, cached, cause: fault.cause }
      : { status: databaseStatus, responseTimeMs, cached };
  }
  if (migrations) body.migrations = { pending: migrations.pending, latest: migrations.latest };
  if (provider && phase === 'serving') body.identityProvider = { status: provider.status, keys: provider.keys };
  return body;
}

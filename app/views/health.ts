import type { PoolStats, ProbeReport, ProbeStatus } from '../../db';
import type { Phase } from '../lifecycle';

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
}

/** Reports reachability, timing and pool numbers; never a host, port, user or database name. */
export function databaseHealthBody(report: ProbeReport): DatabaseHealthBody {
  return {
    status: report.status,
    responseTimeMs: report.responseTimeMs,
    checkedAt: report.checkedAt.toISOString(),
    cached: report.cached,
    pool: report.pool,
    ...(report.fault ? { code: report.fault.code, detail: report.fault.detail } : {}),
  };
}

export type NotReadyReason = 'starting' | 'draining' | NonNullable<ProbeReport['fault']>['code'];

export interface ReadinessBody {
  readonly status: HealthStatus;
  readonly phase: Phase;
  readonly timestamp: string;
  /** Why the service should not get traffic now (status 'fail' only). */
  readonly reason?: NotReadyReason;
  readonly database?: { readonly status: HealthStatus; readonly responseTimeMs: number; readonly cached: boolean };
}

export function readinessBody(input: { phase: Phase; now: Date; database?: ProbeReport }): ReadinessBody {
  const { phase, database } = input;
  const databaseSummary = database && { status: database.status, responseTimeMs: database.responseTimeMs, cached: database.cached };
  const reason: NotReadyReason | undefined = phase !== 'serving' ? phase : database?.fault?.code;
  return {
    status: reason ? 'fail' : (database?.status ?? 'pass'),
    phase,
    timestamp: input.now.toISOString(),
    ...(reason ? { reason } : {}),
    ...(databaseSummary ? { database: databaseSummary } : {}),
  };
}

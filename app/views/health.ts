import type { PoolStats } from '../../db';

/** IETF health-check draft status values. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

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
  readonly pool: PoolStats;
  readonly code?: string;
  readonly detail?: string;
}

export type DatabaseCheck =
  | { readonly ok: true; readonly responseTimeMs: number; readonly checkedAt: Date; readonly pool: PoolStats }
  | {
      readonly ok: false;
      readonly responseTimeMs: number;
      readonly checkedAt: Date;
      readonly pool: PoolStats;
      readonly code: string;
      readonly detail: string;
    };

/** Reports reachability, timing and pool numbers; never a host, port, user or database name. */
export function databaseHealthBody(check: DatabaseCheck): DatabaseHealthBody {
  const common = {
    responseTimeMs: check.responseTimeMs,
    checkedAt: check.checkedAt.toISOString(),
    pool: check.pool,
  };
  if (check.ok) return { status: 'pass', ...common };
  return { status: 'fail', ...common, code: check.code, detail: check.detail };
}

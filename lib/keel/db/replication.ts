import type { PoolAccess, RawConnection } from './pool';
import type { ProbeStatus } from './status';

export interface ReplicationReport {
  /** streaming: in recovery with a WAL receiver; stopped: promoted, or no WAL receiver (the data no longer follows the primary). */
  readonly state: 'streaming' | 'stopped';
  /** How far the replica's data is behind the primary's, in ms; 0 when it has replayed all the primary has written; null when unknown. */
  readonly replayLagMs: number | null;
  readonly status: ProbeStatus;
  /** Why it is not pass. */
  readonly code?: 'replication_stopped' | 'replication_lagging';
}

/** What a probe of the read replicas runs on its replica connection instead of SELECT 1. */
export type ReplicaInspection = (connection: RawConnection) => Promise<ReplicationReport>;

/**
 * Lag is judged against the primary's current WAL position, read first: a replica that has replayed
 * up to it is 0 ms behind, however long ago the last transaction was (an idle primary writes no
 * new commits, so now() - pg_last_xact_replay_timestamp() alone grows without any lag). Otherwise
 * the lag is the time since the last transaction it replayed, the oldest data it may be missing.
 * Without an answer from the primary, the WAL the replica has received stands in for its position.
 * The replica's pg_stat_wal_receiver row is visible to any user (its details need pg_read_all_stats).
 */
const REPLICATION_SQL = `SELECT pg_is_in_recovery() AS in_recovery,
  EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE coalesce(status, 'streaming') = 'streaming') AS receiving,
  CASE WHEN pg_last_wal_replay_lsn() >= coalesce($1::pg_lsn, pg_last_wal_receive_lsn()) THEN 0
       ELSE greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::float8 END AS lag_ms`;

interface ReplicationRow {
  in_recovery: boolean;
  receiving: boolean;
  lag_ms: number | null;
}

/** The primary's WAL position, or undefined when the primary does not say within waitMs. */
async function primaryWalPosition(primary: PoolAccess, waitMs: number): Promise<string | undefined> {
  const asking = (async () => {
    const connection = await primary.acquire();
    try {
      const result = (await connection.query('SELECT pg_current_wal_lsn()::text AS lsn')) as { rows: { lsn: string }[] };
      primary.release(connection);
      return result.rows[0]?.lsn;
    } catch (error) {
      await primary.destroy(connection).catch(() => undefined);
      throw error;
    }
  })().catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), waitMs);
  });
  try {
    return await Promise.race([asking, gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

export function replicaInspection(primary: PoolAccess, settings: { lagWarnMs: number; primaryWaitMs: number }): ReplicaInspection {
  return async (connection) => {
    const reference = await primaryWalPosition(primary, settings.primaryWaitMs);
    const result = (await connection.query(REPLICATION_SQL, [reference ?? null])) as { rows: ReplicationRow[] };
    const row = result.rows[0];
    if (!row?.in_recovery || !row.receiving) {
      return { state: 'stopped', replayLagMs: row?.in_recovery ? row.lag_ms : null, status: 'fail', code: 'replication_stopped' };
    }
    const replayLagMs = row.lag_ms === null ? null : Math.round(row.lag_ms);
    if (replayLagMs !== null && replayLagMs > settings.lagWarnMs) {
      return { state: 'streaming', replayLagMs, status: 'warn', code: 'replication_lagging' };
    }
    return { state: 'streaming', replayLagMs, status: 'pass' };
  };
}

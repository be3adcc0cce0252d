import type { DatabaseProbe, MigrationMonitor, MigrationState, ProbeReport } from '../db';

/** A read replica as the health endpoints see it: how it is named, and its probe. */
export interface HealthReplica {
  /** host:port. */
  readonly server: string;
  readonly probe: Pick<DatabaseProbe, 'check' | 'reuse'>;
}

/** What the health endpoints need from the database. */
export interface HealthDatabase {
  readonly probe: Pick<DatabaseProbe, 'check' | 'reuse'>;
  /** The read replicas, each with its own probe; empty or absent without. */
  readonly replicas?: readonly HealthReplica[] | undefined;
  readonly migrations: Pick<MigrationMonitor, 'current' | 'settled'>;
}

/** One replica's latest probe report. */
export interface ReplicaReport {
  readonly server: string;
  readonly report: ProbeReport;
}

export interface DatabaseState {
  readonly report: ProbeReport;
  /** Each replica's report, in DATABASE_REPLICA_URLS's order; absent without replicas. */
  readonly replicas?: readonly ReplicaReport[] | undefined;
  /** Known once the database has answered; not asked when it did not. */
  readonly migrations?: MigrationState | undefined;
}

/** Every replica's report from its probe window, or undefined when one is not at hand. */
function reusedReplicas(replicas: readonly HealthReplica[]): ReplicaReport[] | undefined {
  const reports: ReplicaReport[] = [];
  for (const { server, probe } of replicas) {
    const report = probe.reuse();
    if (!report) return undefined;
    reports.push({ server, report });
  }
  return reports;
}

/**
 * The database's state for a health answer. Most pings arrive while the probes' results are still
 * within their window and the migrations are settled: then the state is returned at once, with no
 * promise and no microtask: once AsyncLocalStorage is on (the request scope), every promise costs
 * async-hook calls that a ping answered from the window need not pay.
 */
export function databaseState(database: HealthDatabase): DatabaseState | Promise<DatabaseState> {
  const report = database.probe.reuse();
  const configured = database.replicas ?? [];
  const replicas = configured.length > 0 ? reusedReplicas(configured) : undefined;
  if (report && (replicas || configured.length === 0)) {
    if (report.status === 'fail') return { report, replicas };
    const migrations = database.migrations.settled();
    if (migrations) return { report, replicas, migrations };
  }
  return checkDatabase(database, configured);
}

async function checkDatabase(database: HealthDatabase, configured: readonly HealthReplica[]): Promise<DatabaseState> {
  // Each probe is bounded by DB_PROBE_TIMEOUT_MS, and they run side by side: a dead replica cannot make the answer wait longer.
  const [report, ...replicaReports] = await Promise.all([database.probe.check(), ...configured.map(({ probe }) => probe.check())]);
  const replicas =
    configured.length > 0 ? configured.map(({ server }, index) => ({ server, report: replicaReports[index] as ProbeReport })) : undefined;
  // Only asked once the probe got an answer: a down database must not make health pings wait.
  const migrations = report.status === 'fail' ? undefined : await database.migrations.current();
  return { report, replicas, migrations };
}

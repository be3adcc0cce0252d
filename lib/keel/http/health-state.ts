import type { DatabaseProbe, MigrationMonitor, MigrationState, ProbeReport } from '../db';

/** What the health endpoints need from the database. */
export interface HealthDatabase {
  readonly probe: Pick<DatabaseProbe, 'check' | 'reuse'>;
  /** Present when read replicas are configured. */
  readonly replicaProbe?: Pick<DatabaseProbe, 'check' | 'reuse'> | undefined;
  readonly migrations: Pick<MigrationMonitor, 'current' | 'settled'>;
}

export interface DatabaseState {
  readonly report: ProbeReport;
  readonly replica?: ProbeReport | undefined;
  /** Known once the database has answered; not asked when it did not. */
  readonly migrations?: MigrationState | undefined;
}

/**
 * The database's state for a health answer. Most pings arrive while the probe's result is still
 * within its window and the migrations are settled: then the state is returned at once, with no
 * promise and no microtask: once AsyncLocalStorage is on (the request scope), every promise costs
 * async-hook calls that a ping answered from the window need not pay.
 */
export function databaseState(database: HealthDatabase): DatabaseState | Promise<DatabaseState> {
  const report = database.probe.reuse();
  const replica = database.replicaProbe?.reuse();
  if (report && (replica || !database.replicaProbe)) {
    if (report.status === 'fail') return { report, replica };
    const migrations = database.migrations.settled();
    if (migrations) return { report, replica, migrations };
  }
  return checkDatabase(database);
}

async function checkDatabase(database: HealthDatabase): Promise<DatabaseState> {
  const [report, replica] = await Promise.all([database.probe.check(), database.replicaProbe?.check()]);
  // Only asked once the probe got an answer: a down database must not make health pings wait.
  const migrations = report.status === 'fail' ? undefined : await database.migrations.current();
  return { report, replica, migrations };
}

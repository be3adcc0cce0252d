// At boot keel learns whether its database role is bound by row-level security, and how many
// connections the server allows it (docs/operations.md#connection-budget), as soon as the database
// first answers: the service boots while the database is down, so that may be much later.
import cluster from 'node:cluster';
import { isDeployed } from '../config/deployed';
import type { Config } from '../config/env';
import type { Logger } from '../config/logger';
import type { Database } from '../lib/keel/db';
import { connectionBudgetLine } from '../lib/keel/db/connection-budget';
import { readDatabaseRole, rlsVerdict, type DatabaseRole } from '../lib/keel/db/role-check';

/**
 * Reads the role once a probe of the primary gets an answer (now, if one already has), then acts
 * on rlsVerdict: a warn line, or, deployed, an error line and exit(1). A read that fails is tried
 * again at the next answer.
 */
export function checkDatabaseRoleWhenReachable(database: Pick<Database, 'sequelize' | 'probe'>, config: Config, logger: Logger): void {
  let busyOrDone = false;
  const check = async (): Promise<void> => {
    if (busyOrDone) return;
    busyOrDone = true;
    await readDatabaseRole(database.sequelize).then(
      (role) => {
        stopListening();
        // Not "bypassRls": the logger redacts any field whose name holds "pass".
        const { name, superuser, bypassRls: exemptFromRls, tablesUnderRls, ownedUnforced } = role;
        logger.debug('database role checked', { role: name, superuser, exemptFromRls, tablesUnderRls, ownedUnforced });
        const verdict = rlsVerdict(role, { deployed: isDeployed(config.env), allowBypass: config.database.allowRlsBypass });
        if (verdict?.action === 'refuse') {
          logger.error(verdict.message, verdict.fields);
          process.exit(1);
        } else if (verdict) logger.warn(verdict.message, verdict.fields);
        logConnectionBudget(role, config, logger);
      },
      (error: unknown) => {
        busyOrDone = false;
        logger.warn('could not read the database role to check row-level security; trying again when the database next answers', {
          error,
        });
      },
    );
  };
  const stopListening = database.probe.onAnswer(check);
  const latest = database.probe.latest();
  if (latest && latest.status !== 'fail') void check();
}

/** The budget line, once an instance: in a cluster the first worker says it. */
function logConnectionBudget(role: DatabaseRole, config: Config, logger: Logger): void {
  if (cluster.isWorker && cluster.worker?.id !== 1) return;
  const instance = { workers: config.workers, poolMax: config.database.pool.max, replicas: config.database.replicaUrls.length };
  const line = connectionBudgetLine(instance, role.connectionLimits);
  logger.log(line.level, line.message, line.fields);
}

// At boot keel says how many connections one instance may open and how many the database allows its
// role, once the database first answers (docs/operations.md#connection-budget).
import cluster from 'node:cluster';
import type { Config } from '../config/env';
import type { Logger } from '../config/logger';
import type { Database } from '../lib/keel/db';
import { connectionBudgetLine, readConnectionLimits } from '../lib/keel/db/connection-budget';

/**
 * Reads the server's limits once a probe of the primary gets an answer (now, if one already has) and logs
 * the budget line; a read that fails is tried again at the next answer. In a cluster the first worker
 * says it for the instance, so that the line is written once.
 */
export function logConnectionBudgetWhenReachable(database: Pick<Database, 'sequelize' | 'probe'>, config: Config, logger: Logger): void {
  if (cluster.isWorker && cluster.worker?.id !== 1) return;
  let busyOrDone = false;
  const read = async (): Promise<void> => {
    if (busyOrDone) return;
    busyOrDone = true;
    await readConnectionLimits(database.sequelize).then(
      (limits) => {
        stopListening();
        const instance = { workers: config.workers, poolMax: config.database.pool.max, replicas: config.database.replicaUrls.length };
        const line = connectionBudgetLine(instance, limits);
        logger.log(line.level, line.message, line.fields);
      },
      (error: unknown) => {
        busyOrDone = false;
        logger.debug('could not read the connection limits; trying again when the database next answers', { error });
      },
    );
  };
  const stopListening = database.probe.onAnswer(read);
  const latest = database.probe.latest();
  if (latest && latest.status !== 'fail') void read();
}

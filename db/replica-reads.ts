import type { Sequelize } from 'sequelize';
import type { Logger } from '../config/logger';
import { classifyDatabaseFault } from './errors';
import type { AcquireOptions } from './pool';
import type { DatabaseProbe } from './probe';

/** Where Sequelize sent a query: set by the acquire hook, read by the query wrapper. */
interface ReadRoute {
  toReplica: boolean;
}

/** The query options as the acquire hook sees them: Sequelize's own copy, which still holds our route. */
type RoutedOptions = AcquireOptions & { keelReadRoute?: ReadRoute };

type Query = (sql: unknown, options?: Record<string, unknown>) => Promise<unknown>;

/**
 * Reads outside a transaction go to the replicas, unless the replica probe's latest result failed:
 * then they go to the primary until the probe passes again. Each read refreshes the probe result
 * when it is older than its window (without waiting for it), so the switch needs no health ping.
 *
 * A read that loses its replica connection (the replica crashed, restarted, refused) is repeated on
 * the primary, once: a SELECT outside a transaction changes nothing, so repeating it is safe. The
 * replica is marked down at that moment, so the reads that follow go to the primary without each
 * having to fail first.
 */
export function routeReadsAwayFromFailingReplicas(sequelize: Sequelize, replicaProbe: DatabaseProbe, logger: Logger): void {
  sequelize.addHook('beforePoolAcquire', (raw) => {
    // Sequelize's typings say 'read' | 'write'; at run time a query passes its type ('SELECT').
    const options = raw as unknown as RoutedOptions | undefined;
    if (!options || options.keelProbe || options.type !== 'SELECT' || options.useMaster) return;
    void replicaProbe.check();
    if (replicaProbe.latest()?.status === 'fail') options.useMaster = true;
    else if (options.keelReadRoute) options.keelReadRoute.toReplica = true;
  });

  // Every query goes through sequelize.query, the model finders included (via the query interface).
  const query = sequelize.query.bind(sequelize) as Query;
  const routed: Query = async (sql, options) => {
    const route: ReadRoute = { toReplica: false };
    try {
      return await query(sql, { ...options, keelReadRoute: route });
    } catch (error) {
      const fault = classifyDatabaseFault(error);
      if (!route.toReplica || fault?.code !== 'database_unavailable') throw error;
      if (replicaProbe.latest()?.status !== 'fail') {
        logger.warn('a read lost its replica connection: the replica is marked down and reads go to the primary', {
          reason: error instanceof Error ? error.message : String(error),
        });
      }
      replicaProbe.markDown(fault);
      return query(sql, { ...options, useMaster: true });
    }
  };
  (sequelize as unknown as { query: Query }).query = routed;
}

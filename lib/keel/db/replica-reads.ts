import type { Sequelize } from 'sequelize';
import type { Logger } from '../../../config/logger';
import { classifyDatabaseFault } from './errors';
import type { AcquireOptions } from './pool';
import type { DatabaseFaultCode } from './faults';
import type { DatabaseProbe } from './probe';

// A replica that cannot be reached, or refuses keel's connection settings: the primary serves the read.
const REPLICA_DOWN_CODES: ReadonlySet<DatabaseFaultCode> = new Set([
  'database_unavailable',
  'database_auth_failed',
  'database_not_found',
  'database_tls_refused',
]);

/** Where Sequelize sent a query: set by the acquire hook, read by the read routing. */
interface ReadRoute {
  toReplica: boolean;
}

/** What one attempt at a read passes to the pool's acquire: the route to record, or the primary forced. */
export interface ReadAttemptOptions {
  readonly keelReadRoute?: ReadRoute;
  readonly useMaster?: boolean;
}

/**
 * Runs one read outside a transaction: attempt acquires its connection with the options it is given.
 * Without replicas the attempt simply runs.
 */
export type ReadRouting = <T>(attempt: (options: ReadAttemptOptions) => Promise<T>) => Promise<T>;

export const readOnThePrimary: ReadRouting = (attempt) => attempt({});

/** The query options as the acquire hook sees them: Sequelize's own copy, which still holds our route. */
type RoutedOptions = AcquireOptions & ReadAttemptOptions;

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
 *
 * Returns the routing, for reads that acquire their connection themselves (lib/keel/db/reads.ts); every
 * sequelize.query (the model finders included, via the query interface) goes through it too.
 */
export function routeReadsAwayFromFailingReplicas(sequelize: Sequelize, replicaProbe: DatabaseProbe, logger: Logger): ReadRouting {
  sequelize.addHook('beforePoolAcquire', (raw) => {
    // Sequelize's typings say 'read' | 'write'; at run time a query passes its type ('SELECT').
    const options = raw as unknown as RoutedOptions | undefined;
    if (!options || options.keelProbe || options.type !== 'SELECT' || options.useMaster) return;
    void replicaProbe.check();
    if (replicaProbe.latest()?.status === 'fail') (options as { useMaster?: boolean }).useMaster = true;
    else if (options.keelReadRoute) options.keelReadRoute.toReplica = true;
  });

  const routing: ReadRouting = async (attempt) => {
    const route: ReadRoute = { toReplica: false };
    try {
      return await attempt({ keelReadRoute: route });
    } catch (error) {
      const fault = classifyDatabaseFault(error);
      if (!route.toReplica || !fault || !REPLICA_DOWN_CODES.has(fault.code)) throw error;
      if (replicaProbe.latest()?.status !== 'fail') {
        logger.warn('a read lost its replica connection: the replica is marked down and reads go to the primary', {
          reason: error instanceof Error ? error.message : String(error),
        });
      }
      replicaProbe.markDown(fault);
      return attempt({ useMaster: true });
    }
  };

  const query = sequelize.query.bind(sequelize) as Query;
  const routed: Query = (sql, options) => routing((route) => query(sql, { ...options, ...route }));
  (sequelize as unknown as { query: Query }).query = routed;
  return routing;
}

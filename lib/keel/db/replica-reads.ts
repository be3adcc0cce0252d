import { BaseError, type Sequelize } from 'sequelize';
import type { Logger } from '../../../config/logger';
import { classifyDatabaseFault, isRecoveryConflict, sqlState } from './errors';
import type { AcquireOptions } from './pool';
import { connectionManager } from './pool';
import type { DatabaseFaultCode } from './faults';
import type { Replica } from './replica-pools';

// A replica that cannot be reached, or refuses keel's connection settings: the primary serves the read.
const REPLICA_DOWN_CODES: ReadonlySet<DatabaseFaultCode> = new Set([
  'database_unavailable',
  'database_auth_failed',
  'database_not_found',
  'database_tls_refused',
]);

/** Where a read went: set by the connection manager when it hands out a replica's connection, read by the routing. */
interface ReadRoute {
  replica?: Replica;
}

/** What one attempt at a read passes to the connection manager: the route to record, or the primary forced. */
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

/** The query options as the connection manager sees them: Sequelize's own copy, which still holds our route. */
type RoutedOptions = AcquireOptions & ReadAttemptOptions & Record<string, unknown>;

type Query = (sql: unknown, options?: Record<string, unknown>) => Promise<unknown>;

/** Round-robin over the replicas in service; undefined when none is. Each call refreshes stale probe results, without waiting. */
function replicaPicker(replicas: readonly Replica[]): () => Replica | undefined {
  let next = 0;
  return () => {
    for (const replica of replicas) replica.probe.refresh();
    for (let offset = 0; offset < replicas.length; offset += 1) {
      const index = (next + offset) % replicas.length;
      const replica = replicas[index];
      if (replica?.inService()) {
        next = index + 1;
        return replica;
      }
    }
    return undefined;
  };
}

/**
 * Reads outside a transaction (a connection asked for a SELECT, not forced to the primary, not a probe's)
 * go round-robin to the replicas in service: one whose latest probe failed or found it lagging beyond
 * DB_REPLICA_LAG_WARN_MS is skipped until a probe passes again, and with none in service the primary
 * serves. Each read refreshes the probe results older than their window (without waiting for them),
 * so taking a replica out and back needs no health ping.
 *
 * A read is repeated on the primary, once (a SELECT outside a transaction changes nothing, so repeating
 * it is safe), when its replica connection was lost or could not be opened (that replica is then marked
 * down at once, so the reads that follow skip it without each having to fail first), and when the
 * replica cancelled it for a recovery conflict (the replica stays in service: its WAL replay needed
 * what the read held, which says nothing of its health).
 *
 * Returns the routing, for reads that acquire their connection themselves (lib/keel/db/reads.ts); every
 * sequelize.query (the model finders included, via the query interface) goes through it too.
 */
export function routeReadsToReplicas(sequelize: Sequelize, replicas: readonly Replica[], logger: Logger): ReadRouting {
  const pick = replicaPicker(replicas);
  const manager = connectionManager(sequelize);
  const getConnection = manager.getConnection.bind(manager);
  manager.getConnection = (raw = {}) => {
    const options = raw as RoutedOptions;
    if (options.type === 'SELECT' && !options.useMaster && !options.keelProbe) {
      const replica = pick();
      if (replica) {
        if (options.keelReadRoute) options.keelReadRoute.replica = replica;
        return replica.acquire();
      }
    }
    return getConnection(options);
  };

  const routing: ReadRouting = async (attempt) => {
    const route: ReadRoute = {};
    try {
      return await attempt({ keelReadRoute: route });
    } catch (error) {
      const { replica } = route;
      if (!replica) throw error;
      if (isRecoveryConflict(error)) {
        logger.info('a read on a replica was cancelled by a recovery conflict; it is repeated on the primary', {
          replica: replica.server,
          sqlState: error instanceof BaseError ? sqlState(error) : undefined,
        });
        return attempt({ useMaster: true });
      }
      const fault = classifyDatabaseFault(error);
      if (!fault || !REPLICA_DOWN_CODES.has(fault.code)) throw error;
      if (replica.probe.latest()?.status !== 'fail') {
        logger.warn('a read lost its replica connection: the replica is marked down and its reads go elsewhere', {
          replica: replica.server,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
      replica.probe.markDown(fault);
      return attempt({ useMaster: true });
    }
  };

  const query = sequelize.query.bind(sequelize) as Query;
  const routed: Query = (sql, options) => routing((route) => query(sql, { ...options, ...route }));
  (sequelize as unknown as { query: Query }).query = routed;
  return routing;
}

import { performance } from 'node:perf_hooks';
import { ConnectionAcquireTimeoutError, type Sequelize } from 'sequelize';
import { Pool, TimeoutError } from 'sequelize-pool';
import type { Logger } from '../../../config/logger';
import type { AcquireListener } from './acquire-timing';
import { connectionManager, statsOf, type PoolAccess, type PoolStats, type RawConnection } from './pool';
import { createProbe, type DatabaseProbe, type ProbeSettings } from './probe';

/** One read replica: its own pool and its own probe. */
export interface Replica {
  /** host:port, how health, metrics and logs name it; never a user, a database or a credential. */
  readonly server: string;
  readonly probe: DatabaseProbe;
  poolStats(): PoolStats;
  /** False while its latest probe failed or found it lagging: reads go elsewhere until a probe passes again. */
  inService(): boolean;
  /** A connection from this replica's pool; a timed-out wait is Sequelize's ConnectionAcquireTimeoutError. */
  acquire(): Promise<RawConnection>;
}

export interface ReplicaSet {
  readonly replicas: readonly Replica[];
  /** Calls listener with every checkout from a replica pool, the probes' included. */
  onAcquire(listener: AcquireListener): void;
  /** Empties every replica pool, waiting for checked-out connections to come back. */
  close(): Promise<void>;
}

/** What Sequelize's connection manager offers for opening a connection to any server (not in its typings). */
interface ServerConnector {
  config: {
    pool: { max: number; min: number; idle: number; acquire: number; evict: number; maxUses?: number; validate(c: unknown): boolean };
  };
  /** Opens a connection with the given server fields and runs the beforeConnect/afterConnect hooks (the session setup). */
  _connect(config: object): Promise<RawConnection>;
  _disconnect(connection: RawConnection): Promise<void>;
  pool?: { release(connection: RawConnection): void; destroy(connection: RawConnection): Promise<void> | void };
}

/** The connection fields of one replica, as config/database.js's serverOptions gives them. */
export interface ReplicaServerOptions {
  readonly host: string;
  readonly port: number;
  readonly [field: string]: unknown;
}

export const serverName = ({ host, port }: ReplicaServerOptions): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * A sequelize-pool per replica, with the same factory, limits and session setup as Sequelize's own
 * pool (its connection manager's _connect runs the afterConnect hook): Sequelize's replication option
 * puts every replica behind one read pool, so a probe, a count or a failure could not be told apart.
 * Sequelize itself releases and destroys connections through its own pool (a query's end, the 'error'
 * listener of a broken connection): those calls are routed to the pool that made the connection.
 */
export function createReplicaSet(
  sequelize: Sequelize,
  servers: readonly ReplicaServerOptions[],
  probeSettings: ProbeSettings,
  logger: Logger,
): ReplicaSet {
  const connector = connectionManager(sequelize) as unknown as ServerConnector;
  const limits = connector.config.pool;
  const owners = new WeakMap<RawConnection, Pool<RawConnection>>();
  const listeners: AcquireListener[] = [];

  const replicas = servers.map((options): { replica: Replica; pool: Pool<RawConnection> } => {
    const server = serverName(options);
    const pool = new Pool<RawConnection>({
      name: `keel:replica ${server}`,
      create: async () => {
        const connection = await connector._connect({ ...connector.config, ...options });
        owners.set(connection, pool);
        return connection;
      },
      destroy: (connection) => connector._disconnect(connection),
      validate: (connection) => limits.validate(connection),
      max: limits.max,
      min: limits.min,
      acquireTimeoutMillis: limits.acquire,
      idleTimeoutMillis: limits.idle,
      reapIntervalMillis: limits.evict,
      ...(limits.maxUses === undefined ? {} : { maxUses: limits.maxUses }),
    });
    const stats = (): PoolStats => statsOf(pool);
    const acquire = async (): Promise<RawConnection> => {
      const started = performance.now();
      try {
        return await pool.acquire();
      } catch (error) {
        throw error instanceof TimeoutError ? new ConnectionAcquireTimeoutError(error) : error;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        for (const listener of listeners) listener('replica', seconds, server);
      }
    };
    const access: PoolAccess = {
      acquire,
      release: (connection) => pool.release(connection),
      destroy: (connection) => pool.destroy(connection),
      stats,
    };
    const probe = createProbe(access, probeSettings, logger);
    const inService = (): boolean => {
      const latest = probe.latest();
      return !latest || (latest.status !== 'fail' && latest.replication?.code !== 'replication_lagging');
    };
    return { replica: { server, probe, poolStats: stats, inService, acquire }, pool };
  });

  routeReleasesToOwners(connector, owners);
  return {
    replicas: replicas.map(({ replica }) => replica),
    onAcquire: (listener) => listeners.push(listener),
    async close() {
      await Promise.all(
        replicas.map(async ({ pool }) => {
          await pool.drain();
          await pool.destroyAllNow();
        }),
      );
    },
  };
}

function routeReleasesToOwners(connector: ServerConnector, owners: WeakMap<RawConnection, Pool<RawConnection>>): void {
  const primary = connector.pool;
  if (!primary) return;
  const release = primary.release.bind(primary);
  const destroy = primary.destroy.bind(primary);
  primary.release = (connection) => {
    const owner = owners.get(connection);
    if (owner) owner.release(connection);
    else release(connection);
  };
  // A failed close of a connection being thrown away is nobody's news (the 'error' listener does not wait for it).
  primary.destroy = (connection) => {
    const owner = owners.get(connection);
    return owner ? owner.destroy(connection).catch(() => undefined) : destroy(connection);
  };
}

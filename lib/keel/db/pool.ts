import type { ConnectionOptions } from 'node:tls';
import type { Sequelize } from 'sequelize';

export interface PoolStats {
  /** Connections open or being opened: in use plus idle. */
  readonly size: number;
  readonly available: number;
  readonly using: number;
  /** Callers queued for a connection. */
  readonly waiting: number;
  readonly max: number;
  readonly min: number;
}

/** A pg Client as the pool hands it out: the parts keel uses directly. */
export interface RawConnection {
  query(text: string, values?: unknown[]): Promise<unknown>;
  /** Sequelize's mark for a connection its pool must destroy instead of handing out again (not in its typings). */
  _invalid?: boolean;
  readonly processID: number | null;
  readonly secretKey: number | null;
  readonly host: string;
  readonly port: number;
  /** pg's TLS setting for this connection: false, true or the tls.connect options. */
  readonly ssl: boolean | ConnectionOptions;
}

/** The replica routing (lib/keel/db/replica-reads.ts) sends type 'SELECT' to a replica unless useMaster is set. */
export interface AcquireOptions {
  type?: 'SELECT' | 'write';
  useMaster?: boolean;
  /** Marks the health probe's own acquire, which must reach the pool it probes. */
  keelProbe?: boolean;
}

/** The sequelize-pool counters. */
interface SequelizePool {
  size: number;
  available: number;
  using: number;
  waiting: number;
  maxSize: number;
  minSize: number;
}

// Sequelize's typings do not expose its connection manager; this is the part keel relies on
// (Sequelize 6: lib/dialects/abstract/connection-manager.js).
export interface ConnectionManager {
  pool?: SequelizePool;
  /** Runs the beforePoolAcquire and afterPoolAcquire hooks around the pool's acquire. */
  getConnection(options?: AcquireOptions & Record<string, unknown>): Promise<RawConnection>;
  releaseConnection(connection: RawConnection): void;
  destroyConnection(connection: RawConnection): Promise<void>;
}

export const connectionManager = (sequelize: Sequelize): ConnectionManager =>
  (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;

const EMPTY: PoolStats = { size: 0, available: 0, using: 0, waiting: 0, max: 0, min: 0 };

export type PoolRole = 'primary' | 'replica';

/** Counters of the primary's pool (a replica's pool counts its own: lib/keel/db/replica-pools.ts). */
export function readPoolStats(sequelize: Sequelize): PoolStats {
  const pool = connectionManager(sequelize).pool;
  // After close() Sequelize drops the pool.
  return pool ? statsOf(pool) : EMPTY;
}

/** What a sequelize-pool holds and owes right now: the counters every pool of keel's reports. */
export function statsOf(pool: {
  readonly size: number;
  readonly available: number;
  readonly using: number;
  readonly waiting: number;
  readonly maxSize: number;
  readonly minSize: number;
}): PoolStats {
  return { size: pool.size, available: pool.available, using: pool.using, waiting: pool.waiting, max: pool.maxSize, min: pool.minSize };
}

/** Checking out a raw pooled connection, for the health probe, which must bound and cancel its query. */
export interface PoolAccess {
  acquire(): Promise<RawConnection>;
  release(connection: RawConnection): void;
  destroy(connection: RawConnection): Promise<void>;
  stats(): PoolStats;
}

export function poolAccess(sequelize: Sequelize): PoolAccess {
  const manager = connectionManager(sequelize);
  return {
    acquire: () => manager.getConnection({ type: 'write', keelProbe: true }),
    release: (connection) => manager.releaseConnection(connection),
    destroy: (connection) => manager.destroyConnection(connection),
    stats: () => readPoolStats(sequelize),
  };
}

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
  query(text: string): Promise<unknown>;
  readonly processID: number | null;
  readonly secretKey: number | null;
  readonly host: string;
  readonly port: number;
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
interface ConnectionManager {
  pool?: SequelizePool | { write: SequelizePool };
  getConnection(options?: { type?: 'read' | 'write' }): Promise<RawConnection>;
  releaseConnection(connection: RawConnection): void;
  destroyConnection(connection: RawConnection): Promise<void>;
}

const connectionManager = (sequelize: Sequelize): ConnectionManager =>
  (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;

const EMPTY: PoolStats = { size: 0, available: 0, using: 0, waiting: 0, max: 0, min: 0 };

export function readPoolStats(sequelize: Sequelize): PoolStats {
  const pool = connectionManager(sequelize).pool;
  // After close() Sequelize drops the pool; with replication it keeps a { read, write } pair.
  if (!pool) return EMPTY;
  const primary = 'write' in pool ? pool.write : pool;
  return {
    size: primary.size,
    available: primary.available,
    using: primary.using,
    waiting: primary.waiting,
    max: primary.maxSize,
    min: primary.minSize,
  };
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
    acquire: () => manager.getConnection({ type: 'write' }),
    release: (connection) => manager.releaseConnection(connection),
    destroy: (connection) => manager.destroyConnection(connection),
    stats: () => readPoolStats(sequelize),
  };
}

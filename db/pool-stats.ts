import type { Sequelize } from 'sequelize';

export interface PoolStats {
  /** Connections open: in use plus idle. */
  readonly size: number;
  readonly available: number;
  readonly using: number;
  /** Callers queued for a connection. */
  readonly waiting: number;
  readonly max: number;
  readonly min: number;
}

/** The sequelize-pool counters; Sequelize's typings do not expose its connection manager. */
interface SequelizePool {
  size: number;
  available: number;
  using: number;
  waiting: number;
  maxSize: number;
  minSize: number;
}

interface WithConnectionManager {
  connectionManager: { pool?: SequelizePool | { write: SequelizePool } };
}

const EMPTY: PoolStats = { size: 0, available: 0, using: 0, waiting: 0, max: 0, min: 0 };

export function readPoolStats(sequelize: Sequelize): PoolStats {
  const holder = sequelize as unknown as WithConnectionManager;
  const pool = holder.connectionManager.pool;
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

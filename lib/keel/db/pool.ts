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

/** Sequelize routes type 'SELECT' to the read (replica) pool unless useMaster is set. */
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
  pool?: SequelizePool | { write: SequelizePool; read: SequelizePool };
  /** Runs the beforePoolAcquire and afterPoolAcquire hooks around the pool's acquire. */
  getConnection(options?: AcquireOptions & Record<string, unknown>): Promise<RawConnection>;
  releaseConnection(connection: RawConnection): void;
  destroyConnection(connection: RawConnection): Promise<void>;
}

/** A connection as Sequelize's replication pool tags it once it is set up. */
interface TaggedConnection {
  queryType?: 'read' | 'write';
}

/** Sequelize's replication pool: one sequelize-pool per side, behind a wrapper that routes by queryType. */
interface ReplicationPool {
  read: { destroy(connection: TaggedConnection): Promise<void> };
  write: { destroy(connection: TaggedConnection): Promise<void> };
  destroy(connection: TaggedConnection): unknown;
}

export const connectionManager = (sequelize: Sequelize): ConnectionManager =>
  (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;

const EMPTY: PoolStats = { size: 0, available: 0, using: 0, waiting: 0, max: 0, min: 0 };

export type PoolRole = 'primary' | 'replica';

/**
 * Sequelize 6's replication pool routes destroy() by connection.queryType, which it sets only once a
 * new connection is fully set up. A connection that breaks before that (reset while its session is
 * being set up) makes Sequelize's own 'error' listener throw a TypeError outside any promise: an
 * uncaught exception, which ends the process. Such a connection is in neither pool yet: route it
 * like release() does, and let a failed close of a connection being thrown away go unreported.
 */
export function guardReplicationPoolDestroy(sequelize: Sequelize): void {
  const pool = connectionManager(sequelize).pool;
  if (!pool || !('write' in pool)) return;
  const replication = pool as unknown as ReplicationPool;
  replication.destroy = (connection) =>
    (connection.queryType === 'read' ? replication.read : replication.write).destroy(connection).catch(() => undefined);
}

/** Counters of the primary pool, or of the replica (read) pool when replication is on. */
export function readPoolStats(sequelize: Sequelize, role: PoolRole = 'primary'): PoolStats {
  const pool = connectionManager(sequelize).pool;
  // After close() Sequelize drops the pool; with replication it keeps a { read, write } pair.
  if (!pool) return EMPTY;
  if (!('write' in pool) && role === 'replica') return EMPTY;
  const primary = 'write' in pool ? (role === 'replica' ? pool.read : pool.write) : pool;
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

export function poolAccess(sequelize: Sequelize, role: PoolRole = 'primary'): PoolAccess {
  const manager = connectionManager(sequelize);
  const options: AcquireOptions = role === 'replica' ? { type: 'SELECT', keelProbe: true } : { type: 'write', keelProbe: true };
  return {
    acquire: () => manager.getConnection({ ...options }),
    release: (connection) => manager.releaseConnection(connection),
    destroy: (connection) => manager.destroyConnection(connection),
    stats: () => readPoolStats(sequelize, role),
  };
}

import { performance } from 'node:perf_hooks';
import type { Sequelize } from 'sequelize';
import { connectionManager, type AcquireOptions, type PoolRole } from './pool';

/**
 * Told how long each checkout from a pool took, in seconds, whether it got a connection or timed out;
 * replica: the replica's host:port, for a checkout from a replica's pool.
 */
export type AcquireListener = (pool: PoolRole, seconds: number, replica?: string) => void;

/**
 * Times every checkout from the primary's pool around the connection manager's getConnection, the
 * one call all queries, the probe and the direct reads make: the beforePoolAcquire/afterPoolAcquire
 * hooks would miss a checkout that timed out, the one an operator most needs to see. Installed
 * before the replica routing wraps getConnection, so it sees only what reaches the primary's pool;
 * each replica's pool times its own (lib/keel/db/replica-pools.ts).
 */
export function timeAcquires(sequelize: Sequelize): (listener: AcquireListener) => void {
  const listeners: AcquireListener[] = [];
  const manager = connectionManager(sequelize);
  const getConnection = manager.getConnection.bind(manager);
  manager.getConnection = async (options: AcquireOptions & Record<string, unknown> = {}) => {
    const started = performance.now();
    try {
      return await getConnection(options);
    } finally {
      const seconds = (performance.now() - started) / 1000;
      for (const listener of listeners) listener('primary', seconds);
    }
  };
  return (listener) => listeners.push(listener);
}

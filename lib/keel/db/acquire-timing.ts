import { performance } from 'node:perf_hooks';
import type { Sequelize } from 'sequelize';
import { connectionManager, type AcquireOptions, type PoolRole } from './pool';

/** Told how long each checkout from a pool took, in seconds, whether it got a connection or timed out. */
export type AcquireListener = (pool: PoolRole, seconds: number) => void;

/**
 * Times every checkout around the connection manager's getConnection, the one call all queries, the
 * probe and the direct reads make: the beforePoolAcquire/afterPoolAcquire hooks would miss a
 * checkout that timed out, the one an operator most needs to see. The pool is read after the call,
 * since the replica routing may send a read to the primary (useMaster) while it runs.
 */
export function timeAcquires(sequelize: Sequelize, replicated: boolean): (listener: AcquireListener) => void {
  const listeners: AcquireListener[] = [];
  const manager = connectionManager(sequelize);
  const getConnection = manager.getConnection.bind(manager);
  manager.getConnection = async (options: AcquireOptions & Record<string, unknown> = {}) => {
    const started = performance.now();
    try {
      return await getConnection(options);
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const pool: PoolRole = replicated && options.type === 'SELECT' && !options.useMaster ? 'replica' : 'primary';
      for (const listener of listeners) listener(pool, seconds);
    }
  };
  return (listener) => listeners.push(listener);
}

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Sequelize } from 'sequelize';

// Taken when this module loads, at startup, before any request: the async context of no request and no transaction.
const startupContext = AsyncLocalStorage.snapshot();

/**
 * Runs fn in no request's async context. For what outlives the request that happens to start it
 * (a pooled connection's socket, the pool's timers): their callbacks would otherwise carry that
 * request's id, and log it, for as long as they live.
 */
export function outsideAnyRequest<T>(fn: () => T): T {
  return startupContext(fn);
}

// The dialect's connect (Sequelize 6: lib/dialects/postgres/connection-manager.js), which makes the pg Client and its socket.
interface DialectConnectionManager {
  connect(config: unknown): Promise<unknown>;
}

/**
 * Opens every pooled connection outside the request that needed it: the socket's events (a connection
 * lost while idle, hours later) then run in no request's context. The session setup (afterConnect) still
 * runs in the caller's, as part of serving it.
 */
export function openConnectionsOutsideRequests(sequelize: Sequelize): void {
  const manager = (sequelize as unknown as { connectionManager: DialectConnectionManager }).connectionManager;
  const connect = manager.connect.bind(manager);
  manager.connect = (config) => outsideAnyRequest(() => connect(config));
}

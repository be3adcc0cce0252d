import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Lifecycle } from '../app/lifecycle';
import type { Logger } from '../config/logger';

export interface ShutdownDeps {
  readonly server: http.Server;
  readonly lifecycle: Pick<Lifecycle, 'startDraining'>;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly drainDelayMs: number;
  /** Closes the pool (with its own bound) and anything else the process opened. */
  readonly closeResources: (remainingMs: number) => Promise<void>;
  /** Describes what is still open when the deadline passes (pool numbers and the like). */
  readonly describeResources: () => Record<string, unknown>;
  readonly exit: (code: number) => void;
}

/**
 * Tracks sockets and in-flight responses from the start, so that shutdown can tell idle
 * keep-alive connections (closed at once) from busy ones (closed after their response).
 */
function trackConnections(server: http.Server): { sockets: Set<Socket>; responses: Set<http.ServerResponse> } {
  const sockets = new Set<Socket>();
  const responses = new Set<http.ServerResponse>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    responses.add(res);
    res.once('close', () => responses.delete(res));
  });
  return { sockets, responses };
}

/**
 * Graceful shutdown, idempotent: readiness fails at once, then (after the optional drain delay)
 * the listener closes, in-flight requests finish, idle keep-alive sockets close, the pool closes,
 * and the process exits 0. At the deadline it closes everything and exits 1, saying what was open.
 */
export function createShutdown(deps: ShutdownDeps): (signal: NodeJS.Signals) => void {
  const { server, logger } = deps;
  const open = trackConnections(server);
  let started: number | undefined;

  const onDeadline = (): void => {
    logger.error('shutdown deadline passed; closing what is still open and exiting 1', {
      timeoutMs: deps.timeoutMs,
      openConnections: open.sockets.size,
      requestsInFlight: open.responses.size,
      ...deps.describeResources(),
    });
    server.closeAllConnections();
    deps.exit(1);
  };

  const finish = async (): Promise<void> => {
    const remainingMs = Math.max(deps.timeoutMs - (Date.now() - (started ?? Date.now())) - 100, 100);
    await deps.closeResources(remainingMs);
    logger.info('shutdown complete', { durationMs: Date.now() - (started ?? Date.now()) });
    deps.exit(0);
  };

  const stopAccepting = (): void => {
    server.close(() => void finish());
    // A busy keep-alive connection must not be reused after its response: ask the client to
    // close it, then close it ourselves once it is idle.
    for (const res of open.responses) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
    }
    server.closeIdleConnections();
  };

  return (signal) => {
    if (started !== undefined) {
      logger.info('shutdown already in progress; signal ignored', { signal });
      return;
    }
    started = Date.now();
    deps.lifecycle.startDraining();
    logger.info('shutting down', {
      signal,
      timeoutMs: deps.timeoutMs,
      drainDelayMs: deps.drainDelayMs,
      openConnections: open.sockets.size,
      requestsInFlight: open.responses.size,
    });
    setTimeout(onDeadline, deps.timeoutMs);
    if (deps.drainDelayMs > 0) setTimeout(stopAccepting, deps.drainDelayMs);
    else stopAccepting();
  };
}

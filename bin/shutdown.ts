import type http from 'node:http';
import net, { type Socket } from 'node:net';
import type { Lifecycle } from '../lib/keel/http/lifecycle';
import { onResponseClosed } from '../lib/keel/http/response-closed';
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

interface SocketState {
  /**
   * Its requests not yet answered (more than one only when a client pipelines). An array per socket,
   * not a Set of every response in flight: under load a collection that takes and drops an entry per
   * request kept requests reachable through V8's minor collections (see lib/keel/http/middleware/deadline.ts).
   */
  readonly responses: http.ServerResponse[];
  /** When it last finished a response (or connected). */
  idleSince: number;
}

/**
 * Tracks every socket (busy or idle since when) and its in-flight responses from the start, so
 * that shutdown can close idle keep-alive connections without racing a request already on its way.
 */
function trackConnections(server: http.Server): Map<Socket, SocketState> {
  const sockets = new Map<Socket, SocketState>();
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { responses: [], idleSince: Date.now() });
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const state = sockets.get(req.socket);
    if (!state) return;
    state.responses.push(res);
    onResponseClosed(res, () => {
      const at = state.responses.indexOf(res);
      if (at >= 0) state.responses.splice(at, 1);
      state.idleSince = Date.now();
    });
  });
  return sockets;
}

function requestsInFlight(sockets: Map<Socket, SocketState>): number {
  let count = 0;
  for (const state of sockets.values()) count += state.responses.length;
  return count;
}

/**
 * A keep-alive socket is closed once it has been idle this long. Closing it the moment its
 * response ends (what http.Server#close does) resets the request a client may already have sent
 * on it; any request sent within this grace is answered, with Connection: close.
 */
const IDLE_GRACE_MS = 250;
const SWEEP_EVERY_MS = 50;

/**
 * Graceful shutdown, idempotent: readiness fails at once, then (after the optional drain delay)
 * the listener closes, in-flight requests finish, idle keep-alive sockets close, the pool closes,
 * and the process exits 0. At the deadline it closes everything and exits 1, saying what was open.
 */
export function createShutdown(deps: ShutdownDeps): (signal: NodeJS.Signals) => void {
  const { server, logger } = deps;
  const sockets = trackConnections(server);
  let started: number | undefined;

  const onDeadline = (): void => {
    logger.error('shutdown deadline passed; closing what is still open and exiting 1', {
      timeoutMs: deps.timeoutMs,
      openConnections: sockets.size,
      requestsInFlight: requestsInFlight(sockets),
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

  const closeIdleSockets = (): void => {
    const now = Date.now();
    for (const [socket, state] of sockets) {
      if (state.responses.length === 0 && now - state.idleSince >= IDLE_GRACE_MS) socket.destroy();
    }
  };

  const stopAccepting = (): void => {
    // net.Server#close, not http.Server#close: stop accepting and wait for the connections to
    // end, without http's immediate sweep of "idle" sockets, which can hold a request not yet
    // parsed. Idle sockets are closed here, after a short grace.
    net.Server.prototype.close.call(server, () => void finish());
    // Responses not yet started ask the client to close their connection (later requests get the
    // same header from the draining middleware).
    for (const state of sockets.values()) {
      for (const res of state.responses) if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    closeIdleSockets();
    setInterval(closeIdleSockets, SWEEP_EVERY_MS).unref();
  };

  return (signal) => {
    if (started !== undefined) {
      // A terminal's Ctrl-C reaches the whole process group, and npm (or the cluster primary) forwards it again.
      logger.debug('shutdown already in progress; signal ignored', { signal });
      return;
    }
    started = Date.now();
    deps.lifecycle.startDraining();
    logger.info('shutting down', {
      signal,
      timeoutMs: deps.timeoutMs,
      drainDelayMs: deps.drainDelayMs,
      openConnections: sockets.size,
      requestsInFlight: requestsInFlight(sockets),
    });
    setTimeout(onDeadline, deps.timeoutMs);
    if (deps.drainDelayMs > 0) setTimeout(stopAccepting, deps.drainDelayMs);
    else stopAccepting();
  };
}

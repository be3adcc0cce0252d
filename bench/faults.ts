// The faults mode: /health/db with the database down (silent, refused), and SIGTERM in the middle
// of load.
import net from 'node:net';
import type { BenchDatabase } from './database';
import { freePort } from '../test/support/database';
import { get, startKeel } from './keel';
import { runClosedLoop, runShutdownLoad } from './load';
import type { DatabaseDownResult, ShutdownResult } from './report';

export interface FaultOptions {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly probeTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly log: (line: string) => void;
}

/** "/health meanwhile": a light, steady liveness check like a platform's, not a second load. */
export const LIVENESS_CONNECTIONS = 2;
export const LIVENESS_INTERVAL_MS = 20;
/**
 * Each /health/db client sends at most one request per interval: 50 clients ask up to 500/s,
 * well below what one keel process serves here, so the server is not saturated and /health's
 * latency shows what the outage costs, not queueing behind a flood.
 */
export const DATABASE_DOWN_INTERVAL_MS = 100;

export interface SilentCounts {
  readonly total: number;
  readonly maxOpen: number;
  /** Still open when the load ended (keel's pool still holding them). */
  readonly openAtEnd: number;
}

/** A "database" that accepts TCP connections and never says a word. */
async function startSilentDatabase(): Promise<{
  port: number;
  accepted: () => SilentCounts;
  close(): Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  let total = 0;
  let maxOpen = 0;
  const server = net.createServer((socket) => {
    total += 1;
    sockets.add(socket);
    maxOpen = Math.max(maxOpen, sockets.size);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // Read and discard: a socket nobody reads never sees the peer's FIN, so it would look leaked.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => ({ total, maxOpen, openAtEnd: sockets.size }),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function databaseDown(
  scenario: string,
  databasePort: number,
  options: FaultOptions,
  accepted?: () => SilentCounts,
): Promise<DatabaseDownResult> {
  options.log(`database down (${scenario}): ${options.durationSeconds} s of /health/db with /health checked meanwhile`);
  const server = await startKeel(`postgres://keel:not-a-secret@127.0.0.1:${databasePort}/keel`);
  try {
    const common = { port: server.port, durationSeconds: options.durationSeconds, timeoutSeconds: 30 };
    const [db, health] = await Promise.all([
      runClosedLoop({ ...common, path: '/health/db', clients: options.connections, intervalMs: DATABASE_DOWN_INTERVAL_MS }),
      runClosedLoop({ ...common, path: '/health', clients: LIVENESS_CONNECTIONS, intervalMs: LIVENESS_INTERVAL_MS }),
    ]);
    return {
      scenario,
      db,
      health,
      probeTimeoutMs: options.probeTimeoutMs,
      ...(accepted ? { silentAccepted: accepted() } : {}),
    };
  } finally {
    await server.stop(options.shutdownTimeoutMs + 5_000);
  }
}

export async function runDatabaseDown(options: FaultOptions): Promise<DatabaseDownResult[]> {
  const results: DatabaseDownResult[] = [];
  const silent = await startSilentDatabase();
  try {
    results.push(await databaseDown('silent database', silent.port, options, silent.accepted));
  } finally {
    await silent.close();
  }
  // A port nobody listens on: connections are refused at once.
  results.push(await databaseDown('refused connection', await freePort(), options));
  return results;
}

export async function runShutdown(database: BenchDatabase, paths: readonly string[], options: FaultOptions): Promise<ShutdownResult[]> {
  const results: ShutdownResult[] = [];
  for (const path of paths) {
    const server = await startKeel(database.url);
    try {
      const first = await get(server.port, path);
      if (first.status === 404) {
        options.log(`SIGTERM under load on ${path}: not served (404), skipped`);
        continue;
      }
      const signalAfterMs = (options.durationSeconds * 1000) / 2;
      options.log(`SIGTERM under load on ${path}: ${options.connections} keep-alive clients, SIGTERM after ${signalAfterMs / 1000} s`);
      const capAfterSignalMs = options.shutdownTimeoutMs + 5_000;
      const load = await runShutdownLoad({
        port: server.port,
        path,
        clients: options.connections,
        signalAfterMs,
        signal: () => server.signal('SIGTERM'),
        exited: server.exited,
        capAfterSignalMs,
      });
      const exit = await Promise.race([
        server.exited,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), capAfterSignalMs).unref()),
      ]);
      results.push({
        path,
        clients: options.connections,
        load,
        exit,
        logSaysComplete: /"message":"shutdown complete"/.test(server.output()),
        logSaysDeadline: /shutdown deadline passed/.test(server.output()),
      });
    } finally {
      // Kills it only if it is still running (it should have exited by itself).
      await server.stop(1_000);
    }
  }
  return results;
}

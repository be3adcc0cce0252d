import net from 'node:net';
import { emptyCounts, WireCounter, type WireCounts } from './pg-wire';

/**
 * A TCP proxy for tests that sits between keel and PostgreSQL and misbehaves on command.
 *
 *   keel ──► 127.0.0.1:<proxy.port> ──► the target from the URL
 *
 * Modes (one at a time; latency applies on top of 'pass'):
 * - pass:      forward everything (after the configured latency);
 * - blackhole: accept connections and keep every socket open, but forward nothing in either
 *              direction, like a network partition; what was held back flows again on pass();
 * - refuse:    stop listening, so a new connection gets ECONNREFUSED; open connections carry on.
 * resetAll() aborts every open connection on both sides (RST where Node can send one).
 * It also counts, on every connection, the round trips clients make and the statements the server
 * completes (test/support/pg-wire.ts), as they arrive: the wire says what a unit of work costs.
 *
 * Backpressure is ignored on purpose: test traffic is small, and a proxy that paused its sources
 * would blur what the test controls (latency, blackhole) with what the kernel does.
 */
export interface FaultProxy {
  /** The target URL with host and port rewritten to the proxy. */
  readonly url: string;
  readonly port: number;
  /** Every chunk, in both directions, is delivered this many ms after it arrived; order is kept. */
  setLatency(ms: number): void;
  /** Forwards nothing and holds everything back, keeping sockets open; new connections are accepted. */
  blackhole(): Promise<void>;
  /** Aborts every open connection on both sides. */
  resetAll(): void;
  /** Stops listening: new connections are refused; open ones are left alone. */
  refuse(): Promise<void>;
  /** Listens again if needed and forwards everything, including what a blackhole held back. */
  pass(): Promise<void>;
  /** Client connections currently open through the proxy. */
  connectionCount(): number;
  /** Chunks received but not yet delivered (delayed by latency or held by a blackhole). */
  pendingChunks(): number;
  /** Round trips and completed statements since the start or the last resetWireCounts(), a copy. */
  wireCounts(): WireCounts;
  resetWireCounts(): void;
  /** Closes the listener and every connection, and cancels every timer. */
  close(): Promise<void>;
}

type Mode = 'pass' | 'blackhole' | 'refuse';

/** What one direction of a connection still has to deliver, in order. */
interface Held {
  readonly dueAt: number;
  /** A chunk to write, or 'end' to half-close the destination after everything before it. */
  readonly item: Buffer | 'end';
}

/** One direction of a proxied connection: from → to, through a queue that applies latency. */
class Pipe {
  private readonly queue: Held[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly to: () => net.Socket | undefined,
    private readonly latencyMs: () => number,
    private readonly held: () => boolean,
  ) {}

  push(item: Buffer | 'end'): void {
    const last = this.queue[this.queue.length - 1];
    // Never before the previous item: lowering the latency must not reorder the stream.
    const dueAt = Math.max(Date.now() + this.latencyMs(), last?.dueAt ?? 0);
    this.queue.push({ dueAt, item });
    this.pump();
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Delivers whatever is due, then waits for the next item's time. */
  pump(): void {
    this.stop();
    const destination = this.to();
    if (this.held() || !destination) return;
    while (this.queue.length > 0) {
      const head = this.queue[0] as Held;
      const wait = head.dueAt - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait);
        return;
      }
      this.queue.shift();
      if (destination.destroyed) continue;
      if (head.item === 'end') destination.end();
      else destination.write(head.item);
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  clear(): void {
    this.stop();
    this.queue.length = 0;
  }
}

/** Sends a TCP RST where Node supports it (18.3+), else closes. */
function abort(socket: net.Socket | undefined): void {
  if (!socket || socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const targetHost = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const targetPort = target.port ? Number(target.port) : 5432;

  let mode: Mode = 'pass';
  let latencyMs = 0;
  let closed = false;
  let counts = emptyCounts();
  const held = (): boolean => mode === 'blackhole';

  interface Connection {
    readonly client: net.Socket;
    upstream: net.Socket | undefined;
    readonly up: Pipe;
    readonly down: Pipe;
    readonly wire: WireCounter;
  }
  const connections = new Set<Connection>();

  const dropConnection = (connection: Connection): void => {
    connection.up.clear();
    connection.down.clear();
    abort(connection.client);
    abort(connection.upstream);
    connections.delete(connection);
  };

  /** Opens the upstream side; until then (blackhole) the client's bytes wait in the queue. */
  const connectUpstream = (connection: Connection): void => {
    const upstream = net.connect({ host: targetHost, port: targetPort, allowHalfOpen: true });
    connection.upstream = upstream;
    upstream.on('data', (chunk: Buffer) => {
      connection.wire.fromServerBytes(chunk);
      connection.down.push(chunk);
    });
    upstream.on('end', () => connection.down.push('end'));
    upstream.on('connect', () => connection.up.pump());
    // The target refused or reset us: the client sees its connection aborted too.
    upstream.on('error', () => dropConnection(connection));
    upstream.on('close', () => {
      if (connection.client.destroyed) connections.delete(connection);
    });
  };

  const onConnection = (client: net.Socket): void => {
    if (closed) {
      client.destroy();
      return;
    }
    const connection: Connection = {
      client,
      upstream: undefined,
      // Client bytes wait until the upstream socket is connected (net queues writes anyway).
      up: new Pipe(
        () => connection.upstream,
        () => latencyMs,
        held,
      ),
      down: new Pipe(
        () => client,
        () => latencyMs,
        held,
      ),
      // Reads counts when called, so resetWireCounts() applies to open connections too.
      wire: new WireCounter(() => counts),
    };
    connections.add(connection);
    client.on('data', (chunk: Buffer) => {
      connection.wire.fromClientBytes(chunk);
      connection.up.push(chunk);
    });
    client.on('end', () => connection.up.push('end'));
    client.on('error', () => dropConnection(connection));
    client.on('close', () => {
      if (!connection.upstream || connection.upstream.destroyed) connections.delete(connection);
    });
    if (mode !== 'blackhole') connectUpstream(connection);
  };

  let listener: net.Server | undefined;
  let port = 0;

  const listen = async (): Promise<void> => {
    if (listener) return;
    const server = net.createServer({ allowHalfOpen: true }, onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // The first time port 0 (the OS picks); afterwards the same port again, so the URL stays valid.
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    port = (server.address() as net.AddressInfo).port;
    listener = server;
  };

  const stopListening = async (): Promise<void> => {
    const server = listener;
    listener = undefined;
    if (!server) return;
    // close() stops accepting at once; its callback waits for the server's connections, which
    // we close ourselves in close(), so it is not awaited here.
    await new Promise<void>((resolve) => {
      server.close();
      setImmediate(resolve);
    });
  };

  const resumeAll = (): void => {
    for (const connection of connections) {
      if (!connection.upstream) connectUpstream(connection);
      connection.up.pump();
      connection.down.pump();
    }
  };

  await listen();
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  url.searchParams.delete('host');

  return {
    url: url.toString(),
    port,
    setLatency(ms) {
      latencyMs = ms;
    },
    async blackhole() {
      mode = 'blackhole';
      for (const connection of connections) {
        connection.up.stop();
        connection.down.stop();
      }
      await listen();
    },
    resetAll() {
      for (const connection of [...connections]) dropConnection(connection);
    },
    async refuse() {
      mode = 'refuse';
      await stopListening();
      resumeAll();
    },
    async pass() {
      mode = 'pass';
      await listen();
      resumeAll();
    },
    connectionCount: () => connections.size,
    wireCounts: () => ({ ...counts, statements: { ...counts.statements } }),
    resetWireCounts() {
      counts = emptyCounts();
    },
    pendingChunks: () => [...connections].reduce((sum, connection) => sum + connection.up.pending + connection.down.pending, 0),
    async close() {
      closed = true;
      const server = listener;
      listener = undefined;
      for (const connection of [...connections]) dropConnection(connection);
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

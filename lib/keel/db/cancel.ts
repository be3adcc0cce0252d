import net from 'node:net';
import tls from 'node:tls';
import type { RawConnection } from './pool';

export interface CancelTarget {
  readonly host: string;
  readonly port: number;
  readonly processID: number;
  readonly secretKey: number;
  /** The connection's TLS options as pg holds them (its `ssl`): the cancel request travels the same way. */
  readonly ssl?: boolean | tls.ConnectionOptions;
}

/** Where to send a cancel for what a pooled connection runs; undefined before it has a backend. */
export function cancelTargetOf(connection: RawConnection): CancelTarget | undefined {
  const { host, port, processID, secretKey, ssl } = connection;
  return processID === null || secretKey === null ? undefined : { host, port, processID, secretKey, ssl };
}

const CANCEL_REQUEST_CODE = 80877102;
const SSL_REQUEST_CODE = 80877103;

function cancelPacket(target: CancelTarget): Buffer {
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(target.processID, 8);
  packet.writeInt32BE(target.secretKey | 0, 12);
  return packet;
}

function sslRequestPacket(): Buffer {
  const packet = Buffer.alloc(8);
  packet.writeInt32BE(8, 0);
  packet.writeInt32BE(SSL_REQUEST_CODE, 4);
  return packet;
}

/** tls.connect options for upgrading socket, as pg builds them for the connection itself. */
function tlsOptions(socket: net.Socket, host: string, ssl: true | tls.ConnectionOptions): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = { socket, host };
  if (ssl !== true) {
    Object.assign(options, ssl);
    // pg makes the client key non-enumerable, so Object.assign skips it.
    if ('key' in ssl) options.key = ssl.key;
  }
  // SNI must not carry an IP address (RFC 6066).
  if (net.isIP(host) === 0) options.servername = host;
  return options;
}

/**
 * Asks the server to cancel whatever a backend is running, the way libpq's PQcancel does: a
 * CancelRequest on a new connection, which needs no authentication and no pool slot. When the
 * connection uses TLS, so does the cancel (SSLRequest first, then the CancelRequest inside TLS);
 * a server that declines TLS gets nothing. It resolves true once the request was written and the
 * server closed the connection (it has then acted on it), false when it could not be sent; it
 * waits at most timeoutMs and never rejects.
 */
export function sendCancelRequest(target: CancelTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const path = target.host.startsWith('/') ? `${target.host}/.s.PGSQL.${target.port}` : undefined;
    const socket = path ? net.connect(path) : net.connect(target.port, target.host);
    let secure: tls.TLSSocket | undefined;
    let written = false;
    const finish = (): void => {
      clearTimeout(timer);
      secure?.destroy();
      socket.destroy();
      resolve(written);
    };
    const timer = setTimeout(finish, timeoutMs);
    const send = (stream: net.Socket): void => {
      stream.on('error', finish);
      stream.on('close', finish);
      stream.end(cancelPacket(target), () => {
        written = true;
      });
    };
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => {
      const ssl = target.ssl;
      if (!ssl) {
        send(socket);
        return;
      }
      socket.write(sslRequestPacket());
      socket.once('data', (answer) => {
        if (answer.length !== 1 || answer[0] !== 'S'.charCodeAt(0)) {
          finish();
          return;
        }
        secure = tls.connect(tlsOptions(socket, target.host, ssl));
        secure.once('secureConnect', () => send(secure as tls.TLSSocket));
        secure.on('error', finish);
      });
    });
  });
}

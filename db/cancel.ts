import net from 'node:net';

export interface CancelTarget {
  readonly host: string;
  readonly port: number;
  readonly processID: number;
  readonly secretKey: number;
}

const CANCEL_REQUEST_CODE = 80877102;

/**
 * Asks the server to cancel whatever a backend is running, the way libpq's PQcancel does: a
 * CancelRequest on a new connection, which needs no authentication and no pool slot. It resolves
 * when the request was written (or could not be), after at most timeoutMs; it never rejects.
 */
export function sendCancelRequest(target: CancelTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const path = target.host.startsWith('/') ? `${target.host}/.s.PGSQL.${target.port}` : undefined;
    const socket = path ? net.connect(path) : net.connect(target.port, target.host);
    const finish = (sent: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(sent);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('error', () => finish(false));
    socket.on('connect', () => {
      const packet = Buffer.alloc(16);
      packet.writeInt32BE(16, 0);
      packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
      packet.writeInt32BE(target.processID, 8);
      packet.writeInt32BE(target.secretKey | 0, 12);
      socket.end(packet, () => finish(true));
    });
  });
}

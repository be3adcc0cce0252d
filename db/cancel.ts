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
 * true once the server has taken the request (it closes the connection after signalling the
 * backend), false if that did not happen within timeoutMs; it never rejects.
 */
export function sendCancelRequest(target: CancelTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const path = target.host.startsWith('/') ? `${target.host}/.s.PGSQL.${target.port}` : undefined;
    const socket = path ? net.connect(path) : net.connect(target.port, target.host);
    let written = false;
    const finish = (taken: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(taken);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(written));
    socket.on('connect', () => {
      const packet = Buffer.alloc(16);
      packet.writeInt32BE(16, 0);
      packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
      packet.writeInt32BE(target.processID, 8);
      packet.writeInt32BE(target.secretKey | 0, 12);
      socket.end(packet, () => {
        written = true;
      });
      // The server sends nothing back; reading lets the socket see its end, and close.
      socket.resume();
    });
  });
}

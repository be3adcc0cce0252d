import { expect } from 'chai';
import { emptyCounts, WireCounter, type WireCounts } from '../support/pg-wire';

/** A typed protocol message: type byte, int32 length (counting itself), body. */
function message(type: string, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(`${body}\0`) : body;
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

/** An untyped startup-phase packet: int32 length, int32 code, the rest. */
function untyped(code: number, rest: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + rest.length, 0);
  header.writeInt32BE(code, 4);
  return Buffer.concat([header, rest]);
}

const STARTUP = untyped(196608, Buffer.from('user\0postgres\0database\0keel\0\0'));
const SSL_REQUEST = untyped(80877103);
const CANCEL_REQUEST = untyped(80877102, Buffer.alloc(8, 1));

/** The client side of a connection: startup, a password, a simple query, then an extended-protocol statement. */
const CLIENT_SESSION = Buffer.concat([
  STARTUP,
  message('p', 'secret'),
  message('Q', "START TRANSACTION; SELECT set_config('app.user_id', 'S', true)"),
  message('P', Buffer.from('\0INSERT INTO t VALUES ($1)\0\0\0')),
  message('B', Buffer.alloc(12)),
  message('E', Buffer.alloc(5)),
  message('S'),
  message('Q', 'COMMIT'),
  message('X'),
]);

const SERVER_SESSION = Buffer.concat([
  message('R', Buffer.alloc(4)),
  message('Z', 'I'),
  message('C', 'BEGIN'),
  message('T', Buffer.alloc(2)),
  message('D', Buffer.alloc(2)),
  message('C', 'SELECT 1'),
  message('Z', 'T'),
  message('1'),
  message('2'),
  message('C', 'INSERT 0 1'),
  message('Z', 'T'),
  message('C', 'COMMIT'),
  message('Z', 'I'),
]);

/** Feeds both directions in chunks of the given size, as TCP may cut them. */
function count(client: Buffer, server: Buffer, chunkSize: number): WireCounts {
  const counts = emptyCounts();
  const counter = new WireCounter(() => counts);
  for (let offset = 0; offset < client.length; offset += chunkSize) counter.fromClientBytes(client.subarray(offset, offset + chunkSize));
  for (let offset = 0; offset < server.length; offset += chunkSize) counter.fromServerBytes(server.subarray(offset, offset + chunkSize));
  return counts;
}

describe('WireCounter (PostgreSQL protocol read by the test proxy)', () => {
  for (const chunkSize of [1, 3, 7, 64, 4096]) {
    it(`counts a simple Query and an extended-protocol Sync as one round trip each, in chunks of ${chunkSize} bytes`, () => {
      const counts = count(CLIENT_SESSION, SERVER_SESSION, chunkSize);

      expect(counts.roundTrips, 'Q, Sync, Q').to.equal(3);
      expect(counts.statements).to.deep.equal({ BEGIN: 1, SELECT: 1, INSERT: 1, COMMIT: 1 });
      expect(counts.encrypted).to.equal(0);
    });
  }

  it('reads the startup packet that follows a refused SSLRequest', () => {
    const counts = count(Buffer.concat([SSL_REQUEST, CLIENT_SESSION]), Buffer.concat([Buffer.from('N'), SERVER_SESSION]), 5);

    expect(counts.roundTrips).to.equal(3);
    expect(counts.statements.COMMIT).to.equal(1);
  });

  it('counts nothing on a connection that switched to TLS, and says so', () => {
    const counts = count(Buffer.concat([SSL_REQUEST, message('Q', 'SELECT 1')]), Buffer.from('S\u0016\u0003\u0001'), 64);

    expect(counts).to.deep.equal({ roundTrips: 0, statements: {}, encrypted: 1 });
  });

  it('counts no round trip for a CancelRequest, whose packet has no type byte', () => {
    const counts = count(CANCEL_REQUEST, Buffer.alloc(0), 3);

    expect(counts.roundTrips).to.equal(0);
  });
});

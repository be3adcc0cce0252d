/**
 * Reads the PostgreSQL wire protocol (v3) as it streams past a proxy, to count what a client
 * costs the server: round trips, and the statements the server says it completed.
 *
 * Client → server: the first packet of a connection has no type byte (int32 length, int32 code):
 * a StartupMessage, or an SSLRequest / GSSENCRequest the server answers with one byte ('S' or 'G':
 * encryption follows and nothing more can be read; 'N': a plain startup packet follows), or a
 * CancelRequest (the connection carries nothing else). Every later message is a type byte and an
 * int32 length that counts itself. A round trip ends with a simple Query ('Q') or an extended-protocol
 * Sync ('S'): the client waits for ReadyForQuery after either, and after nothing else.
 *
 * Server → client: a CommandComplete ('C') per statement executed, carrying its tag ("BEGIN",
 * "INSERT 0 1", "COMMIT"...).
 */
export interface WireCounts {
  /** Simple queries and Syncs sent by clients. */
  roundTrips: number;
  /** CommandComplete tags without their row counts ("SELECT", "INSERT", "START TRANSACTION", "COMMIT"...). */
  readonly statements: Record<string, number>;
  /** Connections whose traffic could not be read (TLS or GSS encryption). */
  encrypted: number;
}

export const emptyCounts = (): WireCounts => ({ roundTrips: 0, statements: {}, encrypted: 0 });

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/**
 * Splits a byte stream into messages, whatever the chunk boundaries: a header (type byte if any,
 * then the int32 length) is gathered first; then the body, which is kept only when wanted.
 */
class MessageReader {
  private header = Buffer.alloc(0);
  private bodyLeft = 0;
  private body: Buffer[] | undefined;
  private current = 0;

  constructor(
    /** Whether the next message has a type byte (false for the untyped startup packets). */
    private readonly typed: () => boolean,
    /** Whether to keep the body of a message of this type for onMessage. */
    private readonly wantBody: (type: number) => boolean,
    private readonly onMessage: (type: number, body: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - offset);
        this.body?.push(chunk.subarray(offset, offset + take));
        this.bodyLeft -= take;
        offset += take;
        if (this.bodyLeft === 0) this.finish();
        continue;
      }
      const headerLength = this.typed() ? 5 : 4;
      const take = Math.min(headerLength - this.header.length, chunk.length - offset);
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (this.header.length < headerLength) return;
      const type = headerLength === 5 ? (this.header[0] as number) : -1;
      // The length counts its own four bytes, not the type byte.
      this.bodyLeft = this.header.readInt32BE(headerLength - 4) - 4;
      this.current = type;
      this.body = this.wantBody(type) || type === -1 ? [] : undefined;
      this.header = Buffer.alloc(0);
      if (this.bodyLeft <= 0) {
        this.bodyLeft = 0;
        this.finish();
      }
    }
  }

  private finish(): void {
    const body = this.body ? Buffer.concat(this.body) : Buffer.alloc(0);
    this.body = undefined;
    this.onMessage(this.current, body);
  }
}

const Q = 'Q'.charCodeAt(0);
const SYNC = 'S'.charCodeAt(0);
const COMMAND_COMPLETE = 'C'.charCodeAt(0);

/** One connection's two directions, adding what they carry to counts. */
export class WireCounter {
  /** Waiting for an untyped packet from the client (the startup, or the one after an SSL/GSS refusal). */
  private untyped = true;
  /** The client asked for encryption: the server's next byte says whether it follows. */
  private awaitingEncryptionAnswer = false;
  private opaque = false;
  private readonly client: MessageReader;
  private readonly server: MessageReader;

  constructor(private readonly countsNow: () => WireCounts) {
    this.client = new MessageReader(
      () => !this.untyped,
      () => false,
      (type, body) => this.fromClient(type, body),
    );
    this.server = new MessageReader(
      () => true,
      (type) => type === COMMAND_COMPLETE,
      (type, body) => {
        if (type !== COMMAND_COMPLETE) return;
        // The tag without its row counts: "INSERT 0 1" → "INSERT", "START TRANSACTION" stays.
        const command = body
          .toString('utf8')
          .replace(/\0.*$/s, '')
          .replace(/( \d+)+$/, '');
        const { statements } = this.countsNow();
        statements[command] = (statements[command] ?? 0) + 1;
      },
    );
  }

  fromClientBytes(chunk: Buffer): void {
    if (!this.opaque) this.client.push(chunk);
  }

  fromServerBytes(chunk: Buffer): void {
    if (this.opaque || chunk.length === 0) return;
    if (this.awaitingEncryptionAnswer) {
      this.awaitingEncryptionAnswer = false;
      const answer = String.fromCharCode(chunk[0] as number);
      if (answer === 'S' || answer === 'G') {
        this.opaque = true;
        this.countsNow().encrypted += 1;
        return;
      }
      chunk = chunk.subarray(1);
    }
    this.server.push(chunk);
  }

  private fromClient(type: number, body: Buffer): void {
    if (type === -1) {
      const code = body.length >= 4 ? body.readInt32BE(0) : 0;
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) this.awaitingEncryptionAnswer = true;
      else if (code === CANCEL_REQUEST) this.opaque = true;
      else this.untyped = false;
      return;
    }
    if (type === Q || type === SYNC) this.countsNow().roundTrips += 1;
  }
}

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { scanText } from './sentinels';

/** One HTTP/1.x response as it came off the socket. */
export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Exchange {
  /** Every response parsed from the bytes received, in order. */
  readonly responses: RawResponse[];
  /** The bytes received, as latin1 text. */
  readonly raw: string;
  /** Whether the server closed the connection before the exchange ended. */
  readonly closedByServer: boolean;
  /** From the first byte written to the end of the exchange. */
  readonly elapsedMs: number;
}

export interface ExchangeOptions {
  /** Stop once this many complete responses arrived (the server may keep the connection open). */
  readonly responses?: number;
  /** Give up (and close) after this long. */
  readonly timeoutMs?: number;
  /** Write the request in pieces, this many ms apart (the pieces are the request's characters). */
  readonly trickleMs?: number;
}

/** Parses as many complete responses as text holds (Content-Length, chunked, or no body). */
export function parseResponses(text: string, closed: boolean, requestMethods: readonly string[] = []): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  for (;;) {
    const headerEnd = rest.indexOf('\r\n\r\n');
    if (headerEnd < 0) return responses;
    const [statusLine = '', ...headerLines] = rest.slice(0, headerEnd).split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!match) return responses;
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const status = Number(match[1]);
    let body = '';
    let after = rest.slice(headerEnd + 4);
    if (status < 200) {
      // An interim response (100 Continue): the final one follows.
      rest = after;
      continue;
    }
    const noBody = requestMethods[responses.length] === 'HEAD' || status === 204 || status === 304;
    if (noBody) {
      // No body, whatever Content-Length says.
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (after.length < length) return responses;
      body = after.slice(0, length);
      after = after.slice(length);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      let cursor = 0;
      for (;;) {
        const lineEnd = after.indexOf('\r\n', cursor);
        if (lineEnd < 0) return responses;
        const size = parseInt(after.slice(cursor, lineEnd), 16);
        if (Number.isNaN(size)) return responses;
        if (after.length < lineEnd + 2 + size + 2) return responses;
        body += after.slice(lineEnd + 2, lineEnd + 2 + size);
        cursor = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      after = after.slice(cursor);
    } else if (!closed) {
      // Body until the connection closes: not complete yet (Node's own error answers have none).
      if ((headers['connection'] ?? '').toLowerCase() !== 'close' || after.length > 0) return responses;
    } else {
      body = after;
      after = '';
    }
    responses.push({ status, headers, body });
    rest = after;
  }
}

/**
 * Writes bytes on a new TCP connection and collects what the server answers, until the expected
 * number of responses arrived, the server closed the connection, or timeoutMs passed. Every
 * response is scanned for the suite's secrets (test/support/sentinels.ts).
 */
export function exchange(port: number, request: string | Buffer, options: ExchangeOptions = {}): Promise<Exchange> {
  const { responses: wanted = 1, timeoutMs = 5_000, trickleMs } = options;
  const methods = [...(typeof request === 'string' ? request : request.toString('latin1')).matchAll(/(?:^|\r\n\r\n)([A-Z]+) /g)].map(
    (match) => match[1] ?? '',
  );
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const started = performance.now();
    let raw = '';
    let closedByServer = false;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearInterval(trickle);
      socket.destroy();
      const responses = parseResponses(raw, closedByServer, methods);
      scanText(raw, `a raw response from port ${port}`);
      resolve({ responses, raw, closedByServer, elapsedMs: performance.now() - started });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      raw += chunk.toString('latin1');
      if (parseResponses(raw, false, methods).length >= wanted) finish();
    });
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('close', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', () => {
      closedByServer = true;
      finish();
    });
    const bytes = typeof request === 'string' ? Buffer.from(request, 'latin1') : request;
    let offset = 0;
    // One byte per tick; the events that call finish() (which clears it) only fire after this line.
    const trickle =
      trickleMs === undefined
        ? undefined
        : setInterval(() => {
            if (offset >= bytes.length || socket.destroyed) return;
            socket.write(bytes.subarray(offset, offset + 1));
            offset += 1;
          }, trickleMs);
    if (trickle === undefined) socket.write(bytes);
  });
}

import { PassThrough } from 'node:stream';

/** A stream to hand to createLogger, and what was written to it. */
export interface LogCapture {
  readonly stream: PassThrough;
  /** Everything written so far, once pending writes have been delivered. */
  text(): Promise<string>;
  /** The written lines parsed as JSON objects (for the production format). */
  entries(): Promise<Record<string, unknown>[]>;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function captureLog(): LogCapture {
  const stream = new PassThrough();
  let written = '';
  stream.on('data', (chunk: Buffer) => {
    written += chunk.toString('utf8');
  });
  return {
    stream,
    async text() {
      await settle();
      return written;
    },
    async entries() {
      await settle();
      return written
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
}

import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';

/** A stream to hand to createLogger, and what was written to it. */
export interface LogCapture {
  readonly stream: PassThrough;
  /** Everything written so far, once pending writes have been delivered. */
  text(): Promise<string>;
  /** The written lines parsed as JSON objects (for the production format). */
  entries(): Promise<Record<string, unknown>[]>;
  /** The first entry that matches, once it is written; fails after timeoutMs naming what it waited for. */
  waitForEntry(matches: (entry: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const parseLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

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
      return parseLines(written);
    },
    async waitForEntry(matches, what, timeoutMs = 5_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        await settle();
        const found = parseLines(written).find(matches);
        if (found) return found;
        if (performance.now() > deadline) throw new Error(`no log entry ${what} after ${timeoutMs} ms; written:\n${written}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

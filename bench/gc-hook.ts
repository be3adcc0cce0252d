// Loaded with --require (and --expose-gc) into the keel server of the resource mode's memory run, and
// nowhere else: never part of the product. A second listener on 127.0.0.1 whose every request forces a
// full GC and answers process.memoryUsage() as JSON; it prints its port as a "gc hook" line.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('bench/gc-hook.js needs node --expose-gc');
const forceGc = gc;

const hook = http.createServer((_req, res) => {
  forceGc();
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(process.memoryUsage()));
});
hook.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ message: 'gc hook', gcPort: (hook.address() as AddressInfo).port })}\n`);
});
// Never what keeps the server running, nor what delays its exit.
hook.unref();

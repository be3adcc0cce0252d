import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordResponse } from './contract';

export interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** Listens on a free port of 127.0.0.1 and gives the port once the server listens. */
export async function listenOnLoopback(server: http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** One request on a fresh connection (no shared keep-alive agent between tests). */
export function httpRequest(
  port: number,
  path: string,
  method = 'GET',
  timeoutMs = 10_000,
  headers: http.OutgoingHttpHeaders = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const result = { status: res.statusCode ?? 0, headers: res.headers, body };
        // Every answer of the real process is checked against the OpenAPI document (test/support/hooks.ts reports).
        recordResponse({ method, path, ...result });
        resolve(result);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${path} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

// The baseline: a bare Express 4 app serving the same JSON as keel's GET /health, with the same
// content type and Cache-Control, and nothing else (no helmet, no request id, no logging, no body
// parser). Run as its own process by bench/run.ts; prints its port as a JSON "listening" line.
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readPackageInfo } from '../config/project';

const { version } = readPackageInfo();
const app = express();

app.get('/health', (_req, res) => {
  res.set({ 'Cache-Control': 'no-store', 'Content-Type': 'application/health+json; charset=utf-8' });
  res.send(
    JSON.stringify({
      status: 'pass',
      version,
      uptimeSeconds: Math.round(process.uptime() * 1000) / 1000,
      timestamp: new Date().toISOString(),
    }),
  );
});

const server = http.createServer(app);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ message: 'listening', port, pid: process.pid })}\n`);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});

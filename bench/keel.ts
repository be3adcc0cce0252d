// Starting the compiled keel server (dist/bin/www.js) and the baseline as the bench needs them.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { projectRoot } from '../config/project';
import { spawnNodeProcess, waitForListening, type NodeProcess } from '../test/support/node-process';

export const ROOT = projectRoot();
export const WWW = path.join(ROOT, 'dist', 'bin', 'www.js');
export const BASELINE = path.join(ROOT, 'dist', 'bench', 'baseline-server.js');

/** A server under load writes a lot: the bench keeps the last 64 KiB of its output. */
const KEEP_OUTPUT_CHARS = 64 * 1024;
const START_TIMEOUT_MS = 20_000;

export interface ServerProcess extends NodeProcess {
  /** "keel" or "baseline", for the report. */
  readonly name: string;
  readonly port: number;
}

/** Spawns a server script and waits for its "listening" line. */
async function startServer(name: string, script: string, cwd: string, env: Record<string, string>): Promise<ServerProcess> {
  const server = spawnNodeProcess(script, { cwd, env, keepOutputChars: KEEP_OUTPUT_CHARS });
  try {
    return Object.assign(server, { name, port: await waitForListening(server, START_TIMEOUT_MS) });
  } catch (error) {
    throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Set by the bench itself for every keel server; never passed through from the environment. */
const SET_BY_BENCH = new Set(['NODE_ENV', 'PORT', 'DATABASE_URL', 'AUTH', 'LOG_LEVEL', 'WEB_CONCURRENCY']);

/**
 * keel's own settings present in the bench's environment (e.g. DB_PROBE_CACHE_MS, DB_POOL_MAX):
 * every variable .env.example documents, so variables added to keel later are passed too.
 */
export function passedThroughSettings(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  let documented: string[] = [];
  try {
    const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    documented = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string);
  } catch {
    // No .env.example: nothing is passed through.
  }
  // AUTH_*: the bench is keel's identity provider (bench/identity.ts) or turns authentication off.
  const names = documented.filter((name) => !SET_BY_BENCH.has(name) && !name.startsWith('EMBEDDED_') && !name.startsWith('AUTH_'));
  return Object.fromEntries(names.filter((name) => env[name]).map((name) => [name, env[name] as string]));
}

/**
 * A keel server in production mode on an OS-chosen port, pointed at databaseUrl; by default this checkout's
 * build, with AUTH=off unless extraEnv says otherwise (bench/identity.ts).
 */
export function startKeel(databaseUrl: string, extraEnv: Record<string, string> = {}, root: string = ROOT): Promise<ServerProcess> {
  return startServer('keel', path.join(root, 'dist', 'bin', 'www.js'), root, {
    NODE_ENV: 'production',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    AUTH: 'off',
    LOG_LEVEL: 'info',
    // The bench's PostgreSQL speaks plaintext, which production mode refuses unless told.
    DATABASE_SSL: 'off',
    // One process, like the baseline (builds with a cluster mode would otherwise follow the platform's value).
    WEB_CONCURRENCY: '1',
    ...passedThroughSettings(),
    ...extraEnv,
  });
}

export function startBaseline(script: string = BASELINE, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServer('baseline', script, ROOT, { PORT: '0', ...env });
}

/** Stops every server started (SIGTERM, then SIGKILL after graceMs), together. */
export async function stopAll(servers: readonly (ServerProcess | undefined)[], graceMs: number): Promise<void> {
  await Promise.all(servers.map((server) => server?.stop(graceMs)));
}

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** An answer in a line, for the report's samples and for errors. */
export function describe(status: number, body: string): string {
  return `${status} ${body.slice(0, 200)}`;
}

/** One GET on a fresh connection to 127.0.0.1. */
export function get(port: number, urlPath: string, timeoutMs = 10_000): Promise<Answer> {
  return send(port, 'GET', urlPath, undefined, {}, timeoutMs);
}

/** One request on a fresh connection to 127.0.0.1; a body is sent as JSON. */
export function send(
  port: number,
  method: string,
  urlPath: string,
  body?: string,
  headers: Readonly<Record<string, string>> = {},
  timeoutMs = 10_000,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const bodyHeaders = body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) };
    const options = {
      host: '127.0.0.1',
      port,
      path: urlPath,
      method,
      agent: false,
      timeout: timeoutMs,
      headers: { ...headers, ...bodyHeaders },
    };
    const req = http.request(options, (res) => {
      let answer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (answer += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: answer }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${urlPath} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { postgresUser } from '../../lib/keel/db/embedded-placement';
import { freePort } from './database';

/** Debian installs pgbouncer in /usr/sbin, which is not on an ordinary user's PATH. */
const SBIN_DIRECTORIES = ['/usr/local/sbin', '/usr/sbin'];

/** The pgbouncer binary; fails loudly, never skips: a test that cannot run must not look green. */
function requirePgBouncer(): string {
  for (const directory of [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN_DIRECTORIES]) {
    const candidate = path.join(directory, 'pgbouncer');
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // Not there (or not runnable): try the next directory.
    }
  }
  throw new Error(
    'pgbouncer is not installed (looked on PATH and in /usr/sbin): this test runs a real PgBouncer. Install it ' +
      '(Debian/Ubuntu: apt-get install pgbouncer; .ci/run does) and run it again.',
  );
}

export interface PgBouncer {
  /** A URL of the pooled database through PgBouncer (its client side accepts any login: auth_type any). */
  readonly url: string;
  close(): Promise<void>;
}

async function listening(port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (performance.now() > deadline) throw new Error(`pgbouncer did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A real PgBouncer on 127.0.0.1 in front of the database at serverUrl, in transaction pooling mode with
 * poolSize server connections: more clients than that queue for one. As root it runs as "postgres"
 * (PgBouncer refuses root). Its files are in a directory of its own, removed by close().
 */
export async function startPgBouncer(serverUrl: string, poolSize: number): Promise<PgBouncer> {
  const binary = requirePgBouncer();
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-pgbouncer-'));
  fs.chmodSync(dir, 0o755);
  const login = [`user=${decodeURIComponent(server.username)}`, server.password ? `password=${decodeURIComponent(server.password)}` : ''];
  const ini = [
    '[databases]',
    `pooled = host=${server.hostname} port=${server.port || '5432'} dbname=${server.pathname.slice(1)} ${login.join(' ')}`.trim(),
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'auth_type = any',
    'pool_mode = transaction',
    `default_pool_size = ${poolSize}`,
    'max_client_conn = 200',
    // keel's connection setup sets these; transaction mode lets them through.
    'ignore_startup_parameters = extra_float_digits,options,application_name,statement_timeout',
    `unix_socket_dir =`,
    `logfile = ${path.join(dir, 'pgbouncer.log')}`,
    `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
  ].join('\n');
  const config = path.join(dir, 'pgbouncer.ini');
  fs.writeFileSync(config, `${ini}\n`, { mode: 0o644 });
  const user = await postgresUser();
  if (user) fs.chownSync(dir, user.uid, user.gid);
  const child = spawn(binary, [...(user ? ['-u', 'postgres'] : []), config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    await listening(port, 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    const log = fs.existsSync(path.join(dir, 'pgbouncer.log')) ? fs.readFileSync(path.join(dir, 'pgbouncer.log'), 'utf8') : '';
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${output}${log}`);
  }
  return {
    url: `postgres://keel@127.0.0.1:${port}/pooled`,
    close: async () => {
      // SIGINT: PgBouncer's "safe shutdown" waits for clients; SIGTERM closes at once, which a test's end wants.
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

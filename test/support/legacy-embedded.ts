// A data directory as keel made it before it had a role of its own: the superuser "postgres" owns
// the database keel and everything its migrations created in it.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import {
  EMBEDDED_DATABASE_NAME,
  EMBEDDED_DATABASE_SUPERUSER,
  embeddedDatabaseUrl,
  embeddedPasswordFile,
} from '../../config/embedded-database';
import { placeEmbeddedPostgres } from '../../lib/keel/db/embedded-placement';
import { initialiseCluster, startServer } from '../../lib/keel/db/embedded-server';
import { queryOnce } from './database';

/**
 * Initialises dataDir with the superuser alone, creates the database keel as that superuser, runs
 * arrange on it with the superuser's URL (migrations, tables, rows), and stops the server.
 */
export async function makeLegacyDataDir(dataDir: string, port: number, arrange: (superuserUrl: string) => Promise<void>): Promise<void> {
  const placement = await placeEmbeddedPostgres(dataDir);
  const password = crypto.randomBytes(24).toString('hex');
  await fs.writeFile(embeddedPasswordFile(dataDir), `${password}\n`, { mode: 0o600 });
  await initialiseCluster({
    binaries: placement.binaries,
    dataDir: placement.dataDir,
    superuser: EMBEDDED_DATABASE_SUPERUSER,
    password,
    user: placement.user,
  });
  const server = await startServer({
    binaries: placement.binaries,
    dataDir: placement.dataDir,
    port,
    host: '127.0.0.1',
    user: placement.user,
    onUnexpectedExit: () => undefined,
  });
  try {
    await queryOnce(
      embeddedDatabaseUrl(EMBEDDED_DATABASE_SUPERUSER, password, port, 'postgres'),
      `CREATE DATABASE ${EMBEDDED_DATABASE_NAME}`,
    );
    await arrange(embeddedDatabaseUrl(EMBEDDED_DATABASE_SUPERUSER, password, port, EMBEDDED_DATABASE_NAME));
  } finally {
    await server.stop();
  }
}

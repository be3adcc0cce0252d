import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createLogger } from '../../config/logger';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../lib/keel/db/embedded';
import { certificateAuthority, serverCertificate, type KeyAndCertificate } from './certificates';
import { freePort } from './database';

/** A PostgreSQL that accepts TLS connections only, with a certificate from a CA made for the test. */
export interface TlsDatabase {
  /** The superuser's URL (no TLS parameters). */
  readonly url: string;
  /** The CA that signed the server certificate: PEM text and a file holding it. */
  readonly caPem: string;
  readonly caFile: string;
  /** Another CA, which signed nothing the server presents. */
  readonly wrongCaPem: string;
  readonly wrongCaFile: string;
  stop(): Promise<void>;
}

/** Writes the server's certificate and key into the data directory, owned by whoever runs PostgreSQL, mode 0600. */
async function installServerCertificate(server: KeyAndCertificate, dataDir: string): Promise<void> {
  const { uid, gid } = await fs.stat(dataDir);
  for (const [file, pem] of [
    ['server.crt', server.cert],
    ['server.key', server.key],
  ] as const) {
    const target = path.join(dataDir, file);
    await fs.writeFile(target, pem, { mode: 0o600 });
    await fs.chown(target, uid, gid);
    await fs.chmod(target, 0o600);
  }
}

async function connects(url: string, ssl: false | { ca: string }): Promise<boolean> {
  const client = new Client({ connectionString: url, ssl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts an embedded PostgreSQL, then turns TLS on (ssl=on with a certificate from a CA generated
 * here) and replaces pg_hba.conf with hostssl lines only, so the server refuses every plaintext
 * connection. Resolves once the server answers over TLS and refuses plaintext.
 */
export async function startTlsDatabase(): Promise<TlsDatabase> {
  const certDir = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-tls-certs-'));
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-tls-pg-'));
  let embedded: EmbeddedDatabase | undefined;
  try {
    const ca = await certificateAuthority('keel test CA');
    const wrongCa = await certificateAuthority('keel unrelated CA');
    const caFile = path.join(certDir, 'ca.crt');
    const wrongCaFile = path.join(certDir, 'wrong-ca.crt');
    await fs.writeFile(caFile, ca.cert);
    await fs.writeFile(wrongCaFile, wrongCa.cert);
    embedded = await startEmbeddedDatabase({
      dataDir,
      port: await freePort(),
      databaseName: 'keel_tls',
      persistent: false,
      logger: createLogger({ env: 'test', logLevel: 'silent' }),
    });
    await installServerCertificate(await serverCertificate(ca), dataDir);
    await fs.writeFile(path.join(dataDir, 'pg_hba.conf'), 'hostssl all all 127.0.0.1/32 scram-sha-256\n');
    const admin = new Client({ connectionString: embedded.adminUrl });
    await admin.connect();
    try {
      await admin.query("ALTER SYSTEM SET ssl_cert_file = 'server.crt'");
      await admin.query("ALTER SYSTEM SET ssl_key_file = 'server.key'");
      await admin.query('ALTER SYSTEM SET ssl = on');
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
    const deadline = Date.now() + 10_000;
    while (!(await connects(embedded.adminUrl, { ca: ca.cert })) || (await connects(embedded.adminUrl, false))) {
      if (Date.now() > deadline) throw new Error('the PostgreSQL with TLS did not start refusing plaintext within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const server = embedded;
    return {
      url: server.adminUrl,
      caPem: ca.cert,
      caFile,
      wrongCaPem: wrongCa.cert,
      wrongCaFile,
      async stop() {
        await server.stop();
        await fs.rm(certDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await embedded?.stop();
    await fs.rm(certDir, { recursive: true, force: true });
    throw error;
  }
}

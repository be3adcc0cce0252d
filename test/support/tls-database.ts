import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createLogger } from '../../config/logger';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../db/embedded';
import { freePort } from './database';

const run = promisify(execFile);

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

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

async function requireOpenssl(): Promise<void> {
  try {
    await run('openssl', ['version']);
  } catch (error) {
    throw new Error('the TLS tests need the openssl command (Debian: apt-get install openssl)', { cause: error });
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function selfSignedCa(dir: string, name: string): Promise<void> {
  await openssl(
    ['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`].concat([
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
    dir,
  );
}

/** ca.crt, wrong-ca.crt, and server.crt/server.key for localhost and 127.0.0.1, signed by ca. */
async function makeCertificates(dir: string): Promise<void> {
  await requireOpenssl();
  await selfSignedCa(dir, 'ca');
  await selfSignedCa(dir, 'wrong-ca');
  await fs.writeFile(
    path.join(dir, 'server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
  );
  await openssl(['req', ...EC_KEY, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  await openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt'].concat([
      '-days',
      '2',
      '-extfile',
      'server.ext',
    ]),
    dir,
  );
}

/** Copies the server's certificate and key into the data directory, owned by whoever runs PostgreSQL, key mode 0600. */
async function installServerCertificate(certDir: string, dataDir: string): Promise<void> {
  const { uid, gid } = await fs.stat(dataDir);
  for (const file of ['server.crt', 'server.key']) {
    const target = path.join(dataDir, file);
    await fs.copyFile(path.join(certDir, file), target);
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
    await makeCertificates(certDir);
    embedded = await startEmbeddedDatabase({
      dataDir,
      port: await freePort(),
      databaseName: 'keel_tls',
      persistent: false,
      logger: createLogger({ env: 'test', logLevel: 'silent' }),
    });
    await installServerCertificate(certDir, dataDir);
    await fs.writeFile(path.join(dataDir, 'pg_hba.conf'), 'hostssl all all 127.0.0.1/32 scram-sha-256\n');
    const admin = new Client({ connectionString: embedded.url });
    await admin.connect();
    try {
      await admin.query("ALTER SYSTEM SET ssl_cert_file = 'server.crt'");
      await admin.query("ALTER SYSTEM SET ssl_key_file = 'server.key'");
      await admin.query('ALTER SYSTEM SET ssl = on');
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
    const caPem = await fs.readFile(path.join(certDir, 'ca.crt'), 'utf8');
    const deadline = Date.now() + 10_000;
    while (!(await connects(embedded.url, { ca: caPem })) || (await connects(embedded.url, false))) {
      if (Date.now() > deadline) throw new Error('the PostgreSQL with TLS did not start refusing plaintext within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const server = embedded;
    return {
      url: server.url,
      caPem,
      caFile: path.join(certDir, 'ca.crt'),
      wrongCaPem: await fs.readFile(path.join(certDir, 'wrong-ca.crt'), 'utf8'),
      wrongCaFile: path.join(certDir, 'wrong-ca.crt'),
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

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { loadConfig } from '../../config/env';
import { createDatabase, type Database } from '../../lib/keel/db';
import { classifyDatabaseFault } from '../../lib/keel/db/errors';
import { silentLogger } from '../support/app';
import { queryOnce, testDatabaseUrl } from '../support/database';
import { startTlsDatabase, type TlsDatabase } from '../support/tls-database';

/** Node's messages for a certificate chain it cannot trust. */
const UNTRUSTED = /self[- ]signed certificate|unable to verify|unable to get local issuer/;
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** The URL with query parameters added. */
function withParams(url: string, params: Record<string, string>): string {
  const parsed = new URL(url);
  for (const [name, value] of Object.entries(params)) parsed.searchParams.set(name, value);
  return parsed.toString();
}

/**
 * A TCP gate in front of the server that lets through only connections opening with an SSLRequest,
 * as a TLS-only front end would: a plaintext startup or CancelRequest is counted and cut.
 */
async function tlsOnlyGate(targetUrl: string): Promise<{ url: string; plaintextRefused(): number; close(): Promise<void> }> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  let refused = 0;
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    track(client);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      if (head.length < 8) return;
      client.off('data', onData);
      if (!head.subarray(0, 8).equals(SSL_REQUEST)) {
        refused += 1;
        client.destroy();
        return;
      }
      const upstream = net.connect(Number(target.port), target.hostname);
      track(upstream);
      upstream.write(head);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const gated = new URL(targetUrl);
  gated.port = String((server.address() as net.AddressInfo).port);
  return {
    url: gated.toString(),
    plaintextRefused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('database TLS (a PostgreSQL whose pg_hba.conf allows TLS connections only)', function () {
  this.timeout(60_000);
  let server: TlsDatabase;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    server = await startTlsDatabase();
  });
  after(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** keel's Database as bin/www builds it from this environment (production unless told otherwise). */
  function openDatabase(env: Record<string, string>, statement?: string): Database {
    const config = loadConfig({ NODE_ENV: 'production', AUTH: 'off', ...env });
    const database = createDatabase(
      { ...config.database, url: config.database.url as string },
      silentLogger(),
      statement === undefined ? {} : { statement },
    );
    cleanups.push(() => database.close());
    return database;
  }

  /** Whether the session that answers is encrypted, as the server sees it. */
  async function sessionEncrypted(database: Database): Promise<boolean | undefined> {
    const [row] = await database.sequelize.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()', {
      type: QueryTypes.SELECT,
    });
    return row?.ssl;
  }

  async function connectError(database: Database): Promise<Error> {
    try {
      await database.ping();
    } catch (error) {
      return error as Error;
    }
    return expect.fail('expected the connection to be refused');
  }

  describe('when deployed with DATABASE_SSL unset (TLS required, certificate verified)', () => {
    it('connects encrypted when DATABASE_SSL_CA holds the CA that signed the server certificate', async () => {
      const database = openDatabase({ DATABASE_URL: server.url, DATABASE_SSL_CA: server.caPem });

      expect(await sessionEncrypted(database)).to.equal(true);
    });

    it('connects encrypted when DATABASE_SSL_CA names a file holding the CA', async () => {
      const database = openDatabase({ DATABASE_URL: server.url, DATABASE_SSL_CA: server.caFile });

      expect(await sessionEncrypted(database)).to.equal(true);
    });

    it('refuses the server certificate when no CA is given (it is not signed by a public CA)', async () => {
      const error = await connectError(openDatabase({ DATABASE_URL: server.url }));

      expect(error.message).to.match(UNTRUSTED);
      expect(classifyDatabaseFault(error)).to.include({ code: 'database_tls_refused', cause: 'tls_refused' });
    });

    it('refuses the server certificate when DATABASE_SSL_CA is another CA', async () => {
      const error = await connectError(openDatabase({ DATABASE_URL: server.url, DATABASE_SSL_CA: server.wrongCaPem }));

      expect(error.message).to.match(UNTRUSTED);
    });

    it('refuses to talk plaintext to a server without TLS instead of silently falling back', async () => {
      const [plain] = await queryOnce<{ ssl: string }>(testDatabaseUrl(), 'SHOW ssl');
      expect(plain?.ssl, 'the suite’s shared server has TLS off').to.equal('off');

      const error = await connectError(openDatabase({ DATABASE_URL: testDatabaseUrl() }));

      expect(error.message).to.include('does not support SSL');
      expect(classifyDatabaseFault(error)).to.include({ code: 'database_tls_refused', cause: 'tls_refused' });
    });

    it('talks plaintext to that server only with the explicit opt-out DATABASE_SSL=off', async () => {
      const database = openDatabase({ DATABASE_URL: testDatabaseUrl(), DATABASE_SSL: 'off' });

      expect(await sessionEncrypted(database)).to.equal(false);
    });
  });

  describe('DATABASE_SSL=no-verify (Heroku Postgres)', () => {
    it('connects encrypted without any CA', async () => {
      const database = openDatabase({ DATABASE_URL: server.url, DATABASE_SSL: 'no-verify' });

      expect(await sessionEncrypted(database)).to.equal(true);
    });
  });

  describe("the URL's sslmode, which wins over DATABASE_SSL", () => {
    it('sslmode=verify-full with sslrootcert connects encrypted although DATABASE_SSL=off', async () => {
      const url = withParams(server.url, { sslmode: 'verify-full', sslrootcert: server.caFile });
      const database = openDatabase({ DATABASE_URL: url, DATABASE_SSL: 'off' });

      expect(await sessionEncrypted(database)).to.equal(true);
    });

    it('sslmode=verify-full with sslrootcert naming another CA is refused', async () => {
      const url = withParams(server.url, { sslmode: 'verify-full', sslrootcert: server.wrongCaFile });

      const error = await connectError(openDatabase({ DATABASE_URL: url, DATABASE_SSL_CA: server.caPem }));

      expect(error.message).to.match(UNTRUSTED);
    });

    it('sslmode=require connects encrypted without verification, also when deployed', async () => {
      const database = openDatabase({ DATABASE_URL: withParams(server.url, { sslmode: 'require' }) });

      expect(await sessionEncrypted(database)).to.equal(true);
    });

    it('sslmode=disable sends plaintext, which this server refuses', async () => {
      const url = withParams(server.url, { sslmode: 'disable' });

      const error = await connectError(openDatabase({ DATABASE_URL: url, DATABASE_SSL_CA: server.caPem }));

      expect(error.message).to.match(/no pg_hba\.conf entry .*no encryption/);
      expect(classifyDatabaseFault(error)).to.include({ code: 'database_tls_refused', cause: 'tls_refused' });
    });

    it('a replica URL keeps its own sslmode', async () => {
      const replica = withParams(server.url, { sslmode: 'verify-full', sslrootcert: server.caFile });
      const database = openDatabase({
        NODE_ENV: 'test',
        DATABASE_URL: testDatabaseUrl(),
        DATABASE_SSL: 'off',
        DATABASE_REPLICA_URLS: replica,
      });

      const [row] = await database.sequelize.query<{ ssl: boolean; db: string }>(
        'SELECT ssl, current_database() AS db FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        { type: QueryTypes.SELECT },
      );

      expect(row).to.deep.equal({ ssl: true, db: 'keel_tls' });
    });
  });

  describe('the health probe over TLS', () => {
    it('cancels its slow statement on the server with a CancelRequest sent over TLS', async () => {
      const gate = await tlsOnlyGate(server.url);
      cleanups.push(() => gate.close());
      const database = openDatabase(
        { DATABASE_URL: gate.url, DATABASE_SSL_CA: server.caPem, DB_POOL_MAX: '1', DB_PROBE_TIMEOUT_MS: '300', DB_PROBE_WARN_MS: '100' },
        'SELECT pg_sleep(5)',
      );
      await database.ping();

      const report = await database.probe.check();
      const failedAt = performance.now();
      let backends: { state: string }[] = [];
      while (performance.now() - failedAt < 3_000) {
        backends = await queryOnce<{ state: string }>(
          withParams(server.url, { sslmode: 'verify-full', sslrootcert: server.caFile }),
          "SELECT state FROM pg_stat_activity WHERE application_name = 'keel' AND query = 'SELECT pg_sleep(5)'",
        );
        if (backends.length > 0 && backends.every((backend) => backend.state !== 'active')) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      expect(report.fault?.code).to.equal('database_timeout');
      expect(backends, 'the backend that ran the sleep, idle long before 5 s').to.deep.equal([{ state: 'idle' }]);
      expect(gate.plaintextRefused(), 'connections that opened without an SSLRequest').to.equal(0);
    });
  });
});

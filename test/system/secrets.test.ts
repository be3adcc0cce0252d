import crypto from 'node:crypto';
import { expect } from 'chai';
import { freePort, testDatabaseUrl } from '../support/database';
import { httpRequest } from '../support/http';
import { spawnServer, startProductionServer, type ServerProcess } from '../support/process';
import { exchange } from '../support/raw-http';
import {
  registerSentinel,
  scanText,
  SENTINEL_METRICS_TOKEN,
  sentinelCount,
  sentinelRole,
  takeSentinelLeaks,
  type SentinelRole,
} from '../support/sentinels';

type Server = ServerProcess & { port: number };

/** A password seen only in the malformed URLs below, watched for like the others. */
const MALFORMED_URL_PASSWORD = `Sentinel-Pw-${crypto.randomBytes(10).toString('hex')}`;
registerSentinel(MALFORMED_URL_PASSWORD, 'the password of a malformed DATABASE_URL');

/** The URL with another port on 127.0.0.1, credentials kept. */
function onPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

/** The error paths a client can reach, each answered without a secret. */
async function walkErrorPaths(port: number): Promise<number[]> {
  const statuses: number[] = [];
  for (const path of ['/health', '/health/db', '/health/ready', '/openapi.json', '/metrics', '/no-such-route']) {
    statuses.push((await httpRequest(port, path)).status);
  }
  statuses.push((await httpRequest(port, '/health', 'DELETE')).status);
  const raw = [
    'POST /health HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{"a":',
    'POST /health HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n{',
    'POST /health HTTP/1.1\r\nHost: x\r\nContent-Type: application/json; charset=latin1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
    `GET /${'u'.repeat(9 * 1024)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
  ];
  for (const request of raw) statuses.push((await exchange(port, request)).responses[0]?.status ?? 0);
  return statuses;
}

function expectNoSecret(output: string, secrets: readonly string[]): void {
  for (const secret of secrets) expect(output.includes(secret), 'a secret appears in the output').to.equal(false);
}

describe('secrets in bin/www output and responses', function () {
  this.timeout(30_000);
  const servers: ServerProcess[] = [];
  let role: SentinelRole;

  before(async () => {
    role = await sentinelRole();
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.kill()));
  });

  async function start(env: Record<string, string>): Promise<Server> {
    const server = await startProductionServer({ METRICS_TOKEN: SENTINEL_METRICS_TOKEN, AUTH: 'off', ...env });
    servers.push(server);
    return server;
  }

  it('watches the whole suite for the sentinels, and reports a leak by name, never by value', () => {
    expect(sentinelCount(), 'registered secrets').to.be.at.least(3);

    scanText(`a response that leaks ${SENTINEL_METRICS_TOKEN} and ${role.password}`, 'a self-check of the scan');
    const leaks = takeSentinelLeaks();

    expect(leaks).to.deep.equal([
      'the sentinel METRICS_TOKEN appeared in a self-check of the scan',
      'the sentinel database password appeared in a self-check of the scan',
    ]);
  });

  describe('when booted in production with the sentinel password and METRICS_TOKEN, at debug', () => {
    it('answers every error path and shuts down without writing either anywhere', async () => {
      const server = await start({ DATABASE_URL: role.url, LOG_LEVEL: 'debug' });

      const statuses = await walkErrorPaths(server.port);
      server.child.kill('SIGTERM');
      const { code } = await server.exited;

      expect(statuses).to.deep.equal([200, 200, 200, 200, 401, 404, 405, 400, 413, 415, 414]);
      expect(code).to.equal(0);
      expectNoSecret(server.output(), [role.password, SENTINEL_METRICS_TOKEN]);
    });
  });

  describe('when logging at the most verbose level (development, LOG_LEVEL=silly)', () => {
    it('logs connections and requests but never the password (SQL text at silly: test/integration/secrets.test.ts)', async () => {
      const server = spawnServer({
        NODE_ENV: 'development',
        PORT: '0',
        LOG_LEVEL: 'silly',
        DATABASE_URL: role.url,
        METRICS_TOKEN: SENTINEL_METRICS_TOKEN,
        AUTH: 'off',
      });
      servers.push(server);
      const [, port] = await server.waitForOutput(/listening \{"address":"[^"]*","port":(\d+)/);

      const statuses = await walkErrorPaths(Number(port));
      await server.waitForOutput(/database connection opened/, 5_000);

      expect(statuses.slice(0, 3)).to.deep.equal([200, 200, 200]);
      expectNoSecret(server.output(), [role.password, SENTINEL_METRICS_TOKEN]);
    });
  });

  describe('when the database cannot be reached or refuses the password', () => {
    it('reports the failure at boot and on /health/db without the password', async () => {
      const closed = onPort(role.url, await freePort());
      const wrongPassword = new URL(role.url);
      wrongPassword.password = `${role.password}-wrong`;
      const server = await start({ DATABASE_URL: closed, DATABASE_REPLICA_URLS: wrongPassword.toString(), LOG_LEVEL: 'silly' });
      await server.waitForOutput(/"message":"database unreachable at boot/);

      const database = await httpRequest(server.port, '/health/db');
      const ready = await httpRequest(server.port, '/health/ready');

      expect(database.status).to.equal(503);
      expect(ready.status).to.equal(503);
      expectNoSecret(`${server.output()}${database.body}${ready.body}`, [role.password, SENTINEL_METRICS_TOKEN]);
    });
  });

  describe('when DATABASE_URL is malformed around the sentinel password', () => {
    const forms: Record<string, (host: string) => string> = {
      'a scheme other than postgres': (host) => `mysql://keel:${MALFORMED_URL_PASSWORD}@${host}/keel`,
      'a port out of range': (host) => `postgres://keel:${MALFORMED_URL_PASSWORD}@${host.split(':')[0] ?? host}:99999/keel`,
      'no database': (host) => `postgres://keel:${MALFORMED_URL_PASSWORD}@${host}`,
      'malformed percent-encoding in the password': (host) => `postgres://keel:${MALFORMED_URL_PASSWORD}%ZZ@${host}/keel`,
    };

    it('exits 1 naming DATABASE_URL (and DATABASE_REPLICA_URLS) without printing the password, for every form', async () => {
      const host = new URL(testDatabaseUrl()).host;
      const outcomes = await Promise.all(
        Object.entries(forms).map(async ([form, build]) => {
          const server = spawnServer({
            NODE_ENV: 'production',
            PORT: '0',
            METRICS_TOKEN: SENTINEL_METRICS_TOKEN,
            AUTH: 'off',
            DATABASE_URL: build(host),
            DATABASE_REPLICA_URLS: `${testDatabaseUrl()},${build(host)}`,
          });
          servers.push(server);
          const { code } = await server.exited;
          return { form, code, output: server.output() };
        }),
      );

      for (const { form, code, output } of outcomes) {
        expect(code, `${form}: ${output}`).to.equal(1);
        expect(output, form).to.match(/^ {2}DATABASE_URL: \S/m);
        expect(output, form).to.match(/^ {2}DATABASE_REPLICA_URLS: entry 2 \S/m);
        expectNoSecret(output, [MALFORMED_URL_PASSWORD, SENTINEL_METRICS_TOKEN]);
      }
    });
  });
});

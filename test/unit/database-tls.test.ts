import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { expect } from 'chai';
import { cliOptions, sequelizeOptions } from '../../config/database';
import { ConfigError, loadConfig } from '../../config/env';
import { certificateAuthority, serverCertificate } from '../support/certificates';

const SENTINEL_PASSWORD = 'SENTINEL_PW_tls_4711';

/** A URL to a remote server with the sentinel password and the given query. */
const urlWith = (query: string): string => `postgres://keel:${SENTINEL_PASSWORD}@db.internal:5432/keel${query === '' ? '' : `?${query}`}`;

function deployed(overrides: Record<string, string>): Record<string, string> {
  return { NODE_ENV: 'production', AUTH: 'off', DATABASE_URL: urlWith(''), ...overrides };
}

/**
 * The one problem loadConfig reports about a variable. Fails if the message or the stack holds the
 * sentinel password or any of the values given as secret.
 */
function refusal(env: Record<string, string>, variable: string, secrets: readonly string[] = []): string {
  let error: unknown;
  try {
    loadConfig(env);
  } catch (caught) {
    error = caught;
  }
  expect(error, 'loadConfig refused the environment').to.be.instanceOf(ConfigError);
  const { problems, message, stack } = error as ConfigError;
  for (const secret of [SENTINEL_PASSWORD, ...secrets]) {
    expect(message, 'the message echoes a value').to.not.include(secret);
    expect(stack ?? '', 'the stack echoes a value').to.not.include(secret);
  }
  const about = problems.filter((problem) => problem.startsWith(`${variable}: `));
  expect(about, `the problems naming ${variable}: ${problems.join(' | ')}`).to.have.lengthOf(1);
  return about[0] as string;
}

/** What a pg `ssl` option does, in words a test can compare. */
interface TlsShape {
  readonly tls: boolean;
  readonly chainVerified?: boolean;
  readonly hostnameVerified?: boolean;
  /** Which CA the chain is checked against: one of the test's, or Node's public CAs. */
  readonly ca?: string;
  readonly clientCertificate?: boolean;
}

describe('database TLS configuration', () => {
  let dir: string;
  /** Two CAs, files holding them, a client certificate and key, and files that are not certificates. */
  const pem: Record<'ca' | 'otherCa' | 'clientCert' | 'clientKey', string> = { ca: '', otherCa: '', clientCert: '', clientKey: '' };
  const file: Record<'ca' | 'otherCa' | 'clientCert' | 'clientKey' | 'notACertificate' | 'missing', string> = {
    ca: '',
    otherCa: '',
    clientCert: '',
    clientKey: '',
    notACertificate: '',
    missing: '',
  };

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-tls-unit-SENTINEL-'));
    const ca = await certificateAuthority('keel unit CA');
    const otherCa = await certificateAuthority('keel other unit CA');
    const client = await serverCertificate(ca);
    Object.assign(pem, { ca: ca.cert, otherCa: otherCa.cert, clientCert: client.cert, clientKey: client.key });
    for (const name of ['ca', 'otherCa', 'clientCert', 'clientKey'] as const) {
      file[name] = path.join(dir, `${name}.pem`);
      await fs.writeFile(file[name], pem[name], { mode: 0o600 });
    }
    file.notACertificate = path.join(dir, 'notes.txt');
    await fs.writeFile(file.notACertificate, 'hello, not a certificate\n');
    file.missing = path.join(dir, 'no-such-file.pem');
  });

  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  function shapeOf(ssl: false | ConnectionOptions): TlsShape {
    if (ssl === false) return { tls: false };
    const caName = Object.entries({ ca: pem.ca, otherCa: pem.otherCa }).find(([, value]) => value === ssl.ca)?.[0];
    return {
      tls: true,
      chainVerified: ssl.rejectUnauthorized === true,
      // verify-ca replaces Node's host name check with one that accepts every name.
      hostnameVerified: ssl.rejectUnauthorized === true && ssl.checkServerIdentity === undefined,
      ca: ssl.ca === undefined ? 'public' : (caName ?? 'unknown'),
      clientCertificate: ssl.cert === pem.clientCert && ssl.key === pem.clientKey,
    };
  }

  /** The driver's ssl option for DATABASE_URL (and the replicas) as bin/www gets it from this environment. */
  function tlsFor(env: Record<string, string>): TlsShape {
    const config = loadConfig(env);
    return shapeOf(sequelizeOptions({ ...config.database, url: config.database.url as string }).dialectOptions.ssl);
  }

  /** The shape in words, for test names. */
  function described(shape: TlsShape): string {
    if (!shape.tls) return 'plaintext';
    if (!shape.chainVerified) return 'TLS without verification';
    const what = shape.hostnameVerified ? 'chain and host name' : 'chain only (not the host name)';
    const against = shape.ca === 'public' ? "Node's public CAs" : `the ${shape.ca === 'ca' ? '' : 'other '}test CA`;
    return `TLS checking the ${what} against ${against}${shape.clientCertificate ? ', presenting the client certificate' : ''}`;
  }

  const PLAINTEXT: TlsShape = { tls: false };
  const UNVERIFIED: TlsShape = { tls: true, chainVerified: false, hostnameVerified: false, ca: 'public', clientCertificate: false };
  const verified = (ca: string, hostname = true): TlsShape => ({
    tls: true,
    chainVerified: true,
    hostnameVerified: hostname,
    ca,
    clientCertificate: false,
  });

  describe("refusing a DATABASE_URL whose TLS parameters keel would not honour as libpq's users expect", () => {
    for (const mode of ['allow', 'prefer']) {
      it(`refuses sslmode=${mode}, which may fall back to plaintext, naming DATABASE_URL and the rule`, () => {
        const problem = refusal(deployed({ DATABASE_URL: urlWith(`sslmode=${mode}`) }), 'DATABASE_URL');

        expect(problem).to.match(/sslmode allow and prefer may fall back to plaintext/);
        expect(problem).to.include('disable, require, no-verify, verify-ca, verify-full');
      });
    }

    it('refuses an sslmode libpq does not know, naming the modes keel accepts', () => {
      const problem = refusal(deployed({ DATABASE_URL: urlWith('sslmode=verify') }), 'DATABASE_URL');

      expect(problem).to.equal('DATABASE_URL: sslmode must be one of disable, require, no-verify, verify-ca, verify-full');
    });

    for (const query of ['ssl=true', 'ssl=1', 'sslnegotiation=direct', 'sslpassword=SENTINEL_key_pw', 'sslcrl=/etc/crl.pem']) {
      it(`refuses ${query}, a TLS parameter keel does not honour, naming the ones it does`, () => {
        const problem = refusal(deployed({ DATABASE_URL: urlWith(query) }), 'DATABASE_URL', ['SENTINEL_key_pw']);

        expect(problem).to.equal('DATABASE_URL: supports only the TLS parameters sslmode, sslrootcert, sslcert, sslkey');
      });
    }

    for (const name of ['sslrootcert', 'sslcert', 'sslkey'] as const) {
      it(`refuses an ${name} that names a file that cannot be read, without printing the path`, () => {
        const pair = name === 'sslcert' ? `&sslkey=${file.clientKey}` : name === 'sslkey' ? `&sslcert=${file.clientCert}` : '';
        const url = urlWith(`sslmode=verify-full&${name}=${encodeURIComponent(file.missing)}${pair}`);

        const problem = refusal(deployed({ DATABASE_URL: url }), 'DATABASE_URL', [file.missing, dir]);

        expect(problem).to.equal(`DATABASE_URL: the file named by ${name} cannot be read`);
      });
    }

    it('refuses an sslrootcert that names a directory', () => {
      const url = urlWith(`sslmode=verify-full&sslrootcert=${encodeURIComponent(dir)}`);

      const problem = refusal(deployed({ DATABASE_URL: url }), 'DATABASE_URL', [dir]);

      expect(problem).to.equal('DATABASE_URL: the file named by sslrootcert cannot be read');
    });

    it('refuses sslcert without sslkey, and sslkey without sslcert', () => {
      const certOnly = refusal(deployed({ DATABASE_URL: urlWith(`sslmode=verify-full&sslcert=${file.clientCert}`) }), 'DATABASE_URL', [
        dir,
      ]);
      const keyOnly = refusal(deployed({ DATABASE_URL: urlWith(`sslmode=verify-full&sslkey=${file.clientKey}`) }), 'DATABASE_URL', [dir]);

      expect(certOnly).to.equal('DATABASE_URL: sslcert and sslkey must be given together');
      expect(keyOnly).to.equal('DATABASE_URL: sslcert and sslkey must be given together');
    });

    it('refuses the same parameters in a replica URL, naming DATABASE_REPLICA_URLS and the entry', () => {
      const replicas = `${urlWith('sslmode=require')},${urlWith('sslmode=prefer')}`;

      const problem = refusal(deployed({ DATABASE_REPLICA_URLS: replicas }), 'DATABASE_REPLICA_URLS');

      expect(problem).to.match(/^DATABASE_REPLICA_URLS: entry 2 sslmode allow and prefer may fall back to plaintext/);
    });
  });

  describe('DATABASE_SSL_CA', () => {
    const CA_RULE = 'DATABASE_SSL_CA: must be PEM certificates (-----BEGIN CERTIFICATE-----) or the path of a readable file holding them';

    it('refuses text that is neither PEM nor the path of a file, naming the variable and the rule, not the value', () => {
      const value = 'SENTINEL_not_a_certificate';

      expect(refusal(deployed({ DATABASE_SSL_CA: value }), 'DATABASE_SSL_CA', [value])).to.equal(CA_RULE);
    });

    it('refuses the path of a file that does not exist, without printing the path', () => {
      expect(refusal(deployed({ DATABASE_SSL_CA: file.missing }), 'DATABASE_SSL_CA', [file.missing, dir])).to.equal(CA_RULE);
    });

    it('refuses a readable file that holds no certificate', () => {
      expect(refusal(deployed({ DATABASE_SSL_CA: file.notACertificate }), 'DATABASE_SSL_CA', [dir])).to.equal(CA_RULE);
    });

    it('refuses a PEM private key given instead of a certificate, and never prints the key', () => {
      const keyBody = pem.clientKey.split('\n')[1] as string;

      expect(refusal(deployed({ DATABASE_SSL_CA: pem.clientKey }), 'DATABASE_SSL_CA', [keyBody])).to.equal(CA_RULE);
    });

    it('refuses a PEM block whose content is not a certificate', () => {
      const value = '-----BEGIN CERTIFICATE-----\nSENTINELnotbase64\n-----END CERTIFICATE-----\n';

      expect(refusal(deployed({ DATABASE_SSL_CA: value }), 'DATABASE_SSL_CA', ['SENTINELnotbase64'])).to.equal(CA_RULE);
    });

    it('accepts PEM text, PEM written on one line with \\n, and the path of a PEM file, all as the same CA', () => {
      const oneLine = pem.ca.trimEnd().replace(/\n/g, '\\n');

      for (const value of [pem.ca, oneLine, file.ca]) {
        expect(tlsFor(deployed({ DATABASE_SSL_CA: value })), value.slice(0, 30)).to.deep.equal(verified('ca'));
      }
    });
  });

  describe('DATABASE_SSL when the URL has no sslmode', () => {
    for (const nodeEnv of ['staging', 'production'] as const) {
      it(`defaults to verify in ${nodeEnv}: chain and host name checked against Node's public CAs`, () => {
        expect(tlsFor(deployed({ NODE_ENV: nodeEnv }))).to.deep.equal(verified('public'));
      });
    }

    for (const nodeEnv of ['development', 'test'] as const) {
      it(`defaults to off in ${nodeEnv}`, () => {
        expect(tlsFor({ NODE_ENV: nodeEnv, DATABASE_URL: urlWith('') })).to.deep.equal(PLAINTEXT);
      });
    }

    const cases: ReadonlyArray<readonly [string, Record<string, string>, TlsShape]> = [
      ['off sends plaintext, also when deployed', { DATABASE_SSL: 'off' }, PLAINTEXT],
      ['off ignores DATABASE_SSL_CA', { DATABASE_SSL: 'off', DATABASE_SSL_CA: 'ca' }, PLAINTEXT],
      ['no-verify encrypts without checking the certificate', { DATABASE_SSL: 'no-verify' }, UNVERIFIED],
      ['no-verify stays unchecked with DATABASE_SSL_CA', { DATABASE_SSL: 'no-verify', DATABASE_SSL_CA: 'ca' }, UNVERIFIED],
      ['verify checks against DATABASE_SSL_CA when it is set', { DATABASE_SSL: 'verify', DATABASE_SSL_CA: 'ca' }, verified('ca')],
    ];
    for (const [label, env, expected] of cases) {
      it(`DATABASE_SSL=${label}`, () => {
        const withCa = env.DATABASE_SSL_CA === 'ca' ? { ...env, DATABASE_SSL_CA: pem.ca } : env;

        expect(tlsFor(deployed(withCa))).to.deep.equal(expected);
      });
    }
  });

  describe("the URL's sslmode, which wins over DATABASE_SSL", () => {
    // [query, DATABASE_SSL_CA set?, expected]; DATABASE_SSL is set to the opposite of what the URL asks.
    const cases: ReadonlyArray<readonly [string, boolean, TlsShape]> = [
      ['sslmode=disable', false, PLAINTEXT],
      ['sslmode=disable', true, PLAINTEXT],
      ['sslmode=require', false, UNVERIFIED],
      // As libpq: require with a root certificate at hand checks the chain (not the host name).
      ['sslmode=require', true, verified('ca', false)],
      ['sslmode=require&sslrootcert=FILE(ca)', false, verified('ca', false)],
      ['sslmode=require&sslrootcert=system', true, verified('public')],
      ['sslmode=no-verify', true, UNVERIFIED],
      ['sslmode=verify-ca', false, verified('public', false)],
      ['sslmode=verify-ca', true, verified('ca', false)],
      ['sslmode=verify-full', false, verified('public')],
      ['sslmode=verify-full', true, verified('ca')],
      ['sslmode=verify-full&sslrootcert=FILE(otherCa)', true, verified('otherCa')],
      ['sslmode=verify-full&sslrootcert=system', true, verified('public')],
      ['sslmode=verify-full&sslcert=FILE(clientCert)&sslkey=FILE(clientKey)', true, { ...verified('ca'), clientCertificate: true }],
    ];
    for (const [query, withCa, expected] of cases) {
      it(`${query}${withCa ? ' with DATABASE_SSL_CA' : ''} means ${described(expected)}`, () => {
        const realQuery = query.replace(/FILE\((\w+)\)/g, (_match, name: keyof typeof file) => encodeURIComponent(file[name]));
        const opposite = expected.tls ? 'off' : 'verify';
        const env = deployed({ DATABASE_URL: urlWith(realQuery), DATABASE_SSL: opposite, ...(withCa ? { DATABASE_SSL_CA: pem.ca } : {}) });

        expect(tlsFor(env)).to.deep.equal(expected);
      });
    }
  });

  describe('a unix-domain socket', () => {
    for (const url of [
      'postgresql:///keel?host=/var/run/postgresql',
      'postgresql:///keel?host=/var/run/postgresql&sslmode=verify-full',
      `postgres://keel:${SENTINEL_PASSWORD}@localhost/keel?host=/tmp&sslmode=require`,
    ]) {
      it(`never uses TLS, whatever DATABASE_SSL and sslmode say (${url.replace(SENTINEL_PASSWORD, '…')})`, () => {
        expect(tlsFor(deployed({ DATABASE_URL: url, DATABASE_SSL: 'verify', DATABASE_SSL_CA: pem.ca }))).to.deep.equal(PLAINTEXT);
      });
    }
  });

  describe('cliOptions (sequelize-cli: db:migrate in the release phase)', () => {
    const cliTls = (env: Record<string, string>): TlsShape => shapeOf(cliOptions(env).dialectOptions.ssl);

    function cliRefusal(env: Record<string, string>, secrets: readonly string[] = []): string {
      let error: unknown;
      try {
        cliOptions(env);
      } catch (caught) {
        error = caught;
      }
      expect(error, 'cliOptions refused the environment').to.be.instanceOf(Error);
      const { message, stack } = error as Error;
      for (const secret of [SENTINEL_PASSWORD, ...secrets]) {
        expect(message).to.not.include(secret);
        expect(stack ?? '').to.not.include(secret);
      }
      return message;
    }

    for (const nodeEnv of ['staging', 'production'] as const) {
      it(`verifies the certificate by default in ${nodeEnv}, as the web process does`, () => {
        expect(cliTls({ NODE_ENV: nodeEnv, DATABASE_URL: urlWith('') })).to.deep.equal(verified('public'));
      });
    }

    it('talks plaintext by default in development', () => {
      expect(cliTls({ NODE_ENV: 'development', DATABASE_URL: urlWith('') })).to.deep.equal(PLAINTEXT);
    });

    it('checks against DATABASE_SSL_CA in production', () => {
      expect(cliTls({ NODE_ENV: 'production', DATABASE_URL: urlWith(''), DATABASE_SSL_CA: pem.ca })).to.deep.equal(verified('ca'));
    });

    it("follows the URL's sslmode over DATABASE_SSL in production", () => {
      const env = { NODE_ENV: 'production', DATABASE_URL: urlWith('sslmode=require'), DATABASE_SSL: 'off' };

      expect(cliTls(env)).to.deep.equal(UNVERIFIED);
    });

    it('refuses sslmode=prefer, naming DATABASE_URL and the rule, never the password', () => {
      const message = cliRefusal({ NODE_ENV: 'production', DATABASE_URL: urlWith('sslmode=prefer') });

      expect(message).to.match(/^ {2}DATABASE_URL: sslmode allow and prefer may fall back to plaintext/m);
    });

    it('refuses a DATABASE_SSL_CA that is not a certificate, naming the variable, never the value', () => {
      const message = cliRefusal({ NODE_ENV: 'production', DATABASE_URL: urlWith(''), DATABASE_SSL_CA: file.missing }, [file.missing, dir]);

      expect(message).to.match(/^ {2}DATABASE_SSL_CA: must be PEM certificates/m);
    });
  });
});

'use strict';
// How TLS to one database server is decided. The rule: a URL's own sslmode (libpq's meaning) wins;
// a URL without one gets DATABASE_SSL; DATABASE_SSL unset means verify when deployed (staging,
// production) and off elsewhere. Plaintext therefore needs an explicit DATABASE_SSL=off or
// sslmode=disable once deployed.
const fs = require('fs');
const { isDeployed } = require('./deployed');

/** DATABASE_SSL's values and the sslmode each one stands for. */
const DATABASE_SSL_MODES = /** @type {const} */ (['off', 'no-verify', 'verify']);
const SSLMODE_OF = { off: 'disable', 'no-verify': 'no-verify', verify: 'verify-full' };

// libpq's sslmode values, minus allow and prefer (pg cannot fall back between plaintext and TLS,
// and a silent fallback to plaintext is what this rule exists to prevent), plus pg's no-verify.
const URL_SSL_MODES = ['disable', 'require', 'no-verify', 'verify-ca', 'verify-full'];
const PLAINTEXT_FALLBACK_MODES = ['allow', 'prefer'];
const URL_TLS_FILES = /** @type {const} */ (['sslrootcert', 'sslcert', 'sslkey']);
const URL_TLS_PARAMETERS = ['sslmode', ...URL_TLS_FILES];

/**
 * @param {unknown} environment NODE_ENV
 * @returns {'off' | 'verify'}
 */
function defaultDatabaseSsl(environment) {
  return isDeployed(environment) ? 'verify' : 'off';
}

/** @param {string} file */
function readable(file) {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * What is wrong with a database URL's TLS parameters, stated as a rule (never a value); undefined
 * when nothing is. uselibpqcompat is accepted and has no effect: keel always reads sslmode as libpq does.
 * @param {URL} url
 * @returns {string | undefined}
 */
function urlTlsProblem(url) {
  const params = url.searchParams;
  for (const name of params.keys()) {
    if (name.startsWith('ssl') && !URL_TLS_PARAMETERS.includes(name)) {
      return `supports only the TLS parameters ${URL_TLS_PARAMETERS.join(', ')}`;
    }
  }
  const mode = params.get('sslmode');
  if (mode !== null && PLAINTEXT_FALLBACK_MODES.includes(mode)) {
    return `sslmode allow and prefer may fall back to plaintext, which keel never does: use one of ${URL_SSL_MODES.join(', ')}`;
  }
  if (mode !== null && !URL_SSL_MODES.includes(mode)) return `sslmode must be one of ${URL_SSL_MODES.join(', ')}`;
  for (const name of URL_TLS_FILES) {
    const file = params.get(name);
    if (file === null || (name === 'sslrootcert' && file === 'system')) continue;
    if (!readable(file)) return `the file named by ${name} cannot be read`;
  }
  if (params.has('sslcert') !== params.has('sslkey')) return 'sslcert and sslkey must be given together';
  return undefined;
}

/** @param {string} file */
const readText = (file) => fs.readFileSync(file, 'utf8');

/**
 * The pg `ssl` option for one server.
 * @param {URL} url the server's URL (already validated)
 * @param {string} host the host taken from it
 * @param {{ ssl: typeof DATABASE_SSL_MODES[number], sslCa?: string | undefined }} settings DATABASE_SSL and DATABASE_SSL_CA
 * @returns {false | import('tls').ConnectionOptions}
 */
function tlsOption(url, host, settings) {
  // As libpq: a unix-domain socket never carries TLS (the server refuses it there).
  if (host.startsWith('/')) return false;
  const params = url.searchParams;
  let mode = params.get('sslmode') ?? SSLMODE_OF[settings.ssl];
  const rootCert = params.get('sslrootcert');
  const ca = rootCert === null ? settings.sslCa : rootCert === 'system' ? undefined : readText(rootCert);
  // As libpq: sslmode=require with a root certificate at hand checks the chain against it.
  if (mode === 'require' && ca !== undefined) mode = 'verify-ca';
  if (mode === 'require' && rootCert === 'system') mode = 'verify-full';
  if (mode === 'disable') return false;

  const certFile = params.get('sslcert');
  const keyFile = params.get('sslkey');
  /** @type {import('tls').ConnectionOptions} */
  const options = {};
  if (certFile !== null && keyFile !== null) {
    options.cert = readText(certFile);
    options.key = readText(keyFile);
  }
  if (mode === 'require' || mode === 'no-verify') return { rejectUnauthorized: false, ...options };
  return {
    rejectUnauthorized: true,
    ...(ca === undefined ? {} : { ca }),
    // verify-ca: the chain is checked, the host name is not.
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    ...options,
  };
}

module.exports = { DATABASE_SSL_MODES, defaultDatabaseSsl, urlTlsProblem, tlsOption };

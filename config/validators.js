'use strict';
// envalid validators whose error messages state the rule and never repeat the value: envalid's own
// url() answers 'Invalid url: "<the whole input>"', which would print a database password.
const crypto = require('crypto');
const fs = require('fs');
const { makeValidator } = require('envalid');
const { urlTlsProblem } = require('./database-tls');

/**
 * The environment without its empty values: a platform that sets VAR= means "unset", not "the
 * empty string". The server and the migration CLI both read the environment through this.
 * @param {NodeJS.ProcessEnv} env
 * @returns {Record<string, string>}
 */
function withoutEmptyValues(env) {
  return Object.fromEntries(Object.entries(env).filter(/** @returns {entry is [string, string]} */ (entry) => !!entry[1]));
}

const POSTGRES_PROTOCOLS = ['postgres:', 'postgresql:'];
const ENCODE_PASSWORD_HINT = 'percent-encode special characters in the password (@ as %40, / as %2F, % as %25)';

/** A postgres:// or postgresql:// URL that names a host and a database. */
const postgresUrl = makeValidator((input) => {
  let url;
  try {
    url = new URL(input);
  } catch {
    throw new Error(`must be a URL of the form postgres://user:password@host:port/database; ${ENCODE_PASSWORD_HINT}`);
  }
  if (!POSTGRES_PROTOCOLS.includes(url.protocol)) {
    throw new Error('must use the postgres:// or postgresql:// scheme');
  }
  if (!url.hostname && !url.searchParams.get('host')) {
    throw new Error('must name a host');
  }
  if (url.pathname.length <= 1) {
    throw new Error('must name a database in its path');
  }
  // postgres://u:p@ss/word@host/db parses as host "ss" and database "word@host/db": the password's @ or / ended
  // the user part early. No real database name holds a raw @ or /, so this is never a database to connect to.
  if (/[@/]/.test(url.pathname.slice(1))) {
    throw new Error(`names a database holding "@" or "/", which is what an unencoded password makes of the URL; ${ENCODE_PASSWORD_HINT}`);
  }
  // config/database.js decodes these parts; a stray % would otherwise stop boot with a bare "URI malformed".
  for (const part of [url.username, url.password, url.pathname]) {
    try {
      decodeURIComponent(part);
    } catch {
      throw new Error('must percent-encode special characters in the user, password and database (% as %25)');
    }
  }
  const tlsProblem = urlTlsProblem(url);
  if (tlsProblem) throw new Error(tlsProblem);
  return input;
});

/**
 * An integer within [min, max].
 * @param {number} min
 * @param {number} max
 */
function integerBetween(min, max) {
  return makeValidator((input) => {
    const value = Number(input);
    if (!/^-?\d+$/.test(String(input).trim()) || !Number.isSafeInteger(value)) {
      throw new Error(`must be a whole number between ${min} and ${max}`);
    }
    if (value < min || value > max) {
      throw new Error(`must be a whole number between ${min} and ${max}`);
    }
    return value;
  });
}

/** A bearer token for /metrics: long enough not to be guessed; never echoed. */
const metricsToken = makeValidator((input) => {
  if (input.length < 24 || !/^[\x21-\x7e]+$/.test(input)) {
    throw new Error('must be at least 24 printable characters without spaces (generate one with: openssl rand -hex 24)');
  }
  return input;
});

/** A comma-separated list of postgres URLs (read replicas); each is checked like postgresUrl. */
const postgresUrlList = makeValidator((input) => {
  const urls = input
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  urls.forEach((url, index) => {
    try {
      postgresUrl()._parse(url);
    } catch (error) {
      throw new Error(`entry ${index + 1} ${/** @type {Error} */ (error).message}`);
    }
  });
  return urls;
});

const CA_RULE = 'must be PEM certificates (-----BEGIN CERTIFICATE-----) or the path of a readable file holding them';

/**
 * The CA that signed the database server's certificate: PEM text (newlines may be written as \n, for
 * env files that cannot hold several lines) or a file path. Returns the PEM text.
 */
const certificateAuthority = makeValidator((input) => {
  let pem;
  if (input.trimStart().startsWith('-----BEGIN')) {
    pem = input.replace(/\\n/g, '\n');
  } else {
    try {
      pem = fs.readFileSync(input, 'utf8');
    } catch {
      throw new Error(CA_RULE);
    }
  }
  try {
    new crypto.X509Certificate(pem);
  } catch {
    throw new Error(CA_RULE);
  }
  return pem;
});

module.exports = {
  withoutEmptyValues,
  certificateAuthority,
  postgresUrl,
  postgresUrlList,
  integerBetween,
  metricsToken,
};

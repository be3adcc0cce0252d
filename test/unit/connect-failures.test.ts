import { expect } from 'chai';
import { ConnectionError, ConnectionRefusedError, ConnectionTimedOutError, HostNotFoundError } from 'sequelize';
import { classifyDatabaseFault } from '../../lib/keel/db/errors';

/** A pg error as the driver raises it: a message, and a SQLSTATE or a socket error code. */
const driverError = (message: string, code?: string): Error => Object.assign(new Error(message), code ? { code } : {});

describe('classifyDatabaseFault for a connection that could not be opened', () => {
  const cases: ReadonlyArray<readonly [string, Error, string, string]> = [
    [
      'SQLSTATE 28P01',
      new ConnectionError(driverError('password authentication failed for user "keel"', '28P01')),
      'database_auth_failed',
      'authentication_failed',
    ],
    [
      'SQLSTATE 28000 (no such role)',
      new ConnectionError(driverError('role "keel" does not exist', '28000')),
      'database_auth_failed',
      'authentication_failed',
    ],
    [
      'SQLSTATE 28000 for a plaintext login to a server that requires TLS',
      new ConnectionError(driverError('no pg_hba.conf entry for host "10.0.0.1", user "keel", database "keel", no encryption', '28000')),
      'database_tls_refused',
      'tls_refused',
    ],
    [
      'SQLSTATE 3D000',
      new ConnectionError(driverError('database "kee1" does not exist', '3D000')),
      'database_not_found',
      'database_not_found',
    ],
    [
      'SQLSTATE 53300 (too many connections for the server, the role or the database)',
      new ConnectionError(driverError('too many connections for role "keel"', '53300')),
      'database_unavailable',
      'too_many_connections',
    ],
    [
      'ECONNREFUSED',
      new ConnectionRefusedError(driverError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')),
      'database_unavailable',
      'refused',
    ],
    [
      'ENOTFOUND',
      new HostNotFoundError(driverError('getaddrinfo ENOTFOUND db.internal', 'ENOTFOUND')),
      'database_unavailable',
      'host_not_found',
    ],
    ["pg's connect timeout", new ConnectionError(driverError('timeout expired')), 'database_unavailable', 'timed_out'],
    ["Sequelize's connect timeout", new ConnectionTimedOutError(driverError('Connection timed out')), 'database_unavailable', 'timed_out'],
    [
      'a TLS-less server',
      new ConnectionError(driverError('The server does not support SSL connections')),
      'database_tls_refused',
      'tls_refused',
    ],
    [
      'an untrusted certificate',
      new ConnectionError(driverError('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT')),
      'database_tls_refused',
      'tls_refused',
    ],
  ];
  for (const [label, error, code, cause] of cases) {
    it(`maps ${label} to ${code} (${cause})`, () => {
      expect(classifyDatabaseFault(error)).to.include({ code, cause });
    });
  }

  it('keeps database_unavailable without a cause for a connection error it cannot tell apart', () => {
    const fault = classifyDatabaseFault(new ConnectionError(driverError('something else')));

    expect(fault).to.deep.equal({ code: 'database_unavailable', detail: 'The database cannot be reached.' });
  });
});

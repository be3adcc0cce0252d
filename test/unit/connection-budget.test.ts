import { expect } from 'chai';
import { connectionBudgetLine, connectionsAllowed, type ServerConnectionLimits } from '../../lib/keel/db/connection-budget';

// PostgreSQL's defaults: 100 connections, 3 reserved for superusers.
const SERVER: ServerConnectionLimits = { maxConnections: 100, reserved: 3, superuser: false, roleLimit: -1, databaseLimit: -1 };

describe('the connection budget', () => {
  it('allows an ordinary role the server’s connections less the reserved ones, within its own and the database’s limit', () => {
    expect(connectionsAllowed(SERVER)).to.equal(97);
    expect(connectionsAllowed({ ...SERVER, roleLimit: 20 })).to.equal(20);
    expect(connectionsAllowed({ ...SERVER, roleLimit: 20, databaseLimit: 10 })).to.equal(10);
    expect(connectionsAllowed({ ...SERVER, roleLimit: 0 })).to.equal(0);
  });

  it('allows a superuser every connection, whatever the limits', () => {
    expect(connectionsAllowed({ ...SERVER, superuser: true, roleLimit: 5 })).to.equal(100);
  });

  it('says at boot how many instances fit: workers × DB_POOL_MAX against what the role is allowed', () => {
    const line = connectionBudgetLine({ workers: 2, poolMax: 10, replicas: 0 }, SERVER);

    expect(line.level).to.equal('info');
    expect(line.fields).to.deep.equal({ perInstance: 20, workers: 2, poolMax: 10, allowed: 97, instancesThatFit: 4 });
    expect(line.message).to.match(/up to 20 connections .* allows this role 97, so at most 4 such instances fit$/);
  });

  it('warns when one instance alone does not fit, saying what to change', () => {
    const line = connectionBudgetLine({ workers: 4, poolMax: 10, replicas: 1 }, { ...SERVER, roleLimit: 30 });

    expect(line.level).to.equal('warn');
    expect(line.fields).to.include({ perInstance: 40, allowed: 30, instancesThatFit: 0, perInstanceOnReplicas: 40 });
    expect(line.message).to.match(
      /^connection budget exceeded: .*40 connections.*each replica.*allows this role 30.*DB_POOL_MAX or WEB_CONCURRENCY/,
    );
  });
});

import { expect } from 'chai';
import { startupFailureMessage } from '../../bin/boot';

describe('startupFailureMessage', () => {
  it('masks the password of a URL in the message of the error that stopped startup', () => {
    const message = startupFailureMessage(new Error('migrating failed: cannot reach postgres://keel:SENTINEL_PW_boot@db.internal/keel'));

    expect(message).to.equal('keel: failed to start: migrating failed: cannot reach postgres://keel:***@db.internal/keel\n');
  });

  it('masks the password in a thrown string as well', () => {
    expect(startupFailureMessage('redis://:SENTINEL_PW_boot@cache:6379 refused')).to.not.include('SENTINEL_PW_boot');
  });
});

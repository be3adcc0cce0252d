import { expect } from 'chai';
import { ConnectionError, DatabaseError } from 'sequelize';
import { isRecoveryConflict } from '../../lib/keel/db/errors';

/** A pg error as the driver hands it to Sequelize: the server's SQLSTATE and message, and the SQL. */
const databaseError = (code: string, message: string) =>
  new DatabaseError(Object.assign(new Error(message), { code, severity: 'ERROR', sql: 'SELECT 1' }));

describe('isRecoveryConflict', () => {
  const conflicts: [string, DatabaseError][] = [
    ['a statement cancelled for a conflict (40001)', databaseError('40001', 'canceling statement due to conflict with recovery')],
    ['a session ended for a conflict (40001, FATAL)', databaseError('40001', 'terminating connection due to conflict with recovery')],
    ['a deadlock with the startup process (40P01)', databaseError('40P01', 'canceling statement due to conflict with recovery')],
    ['a dropped database (57P04)', databaseError('57P04', 'terminating connection due to conflict with recovery')],
  ];
  for (const [what, error] of conflicts) {
    it(`is true for ${what}`, () => {
      expect(isRecoveryConflict(error)).to.equal(true);
    });
  }

  const others: [string, unknown][] = [
    [
      'a serialization failure on the primary (40001, another message)',
      databaseError('40001', 'could not serialize access due to concurrent update'),
    ],
    ['a deadlock between two sessions (40P01, another message)', databaseError('40P01', 'deadlock detected')],
    ['a cancelled statement (57014)', databaseError('57014', 'canceling statement due to statement timeout')],
    ['a connection that could not be opened', new ConnectionError(new Error('connect ECONNREFUSED'))],
    ['a plain Error with the words', new Error('canceling statement due to conflict with recovery')],
  ];
  for (const [what, error] of others) {
    it(`is false for ${what}`, () => {
      expect(isRecoveryConflict(error)).to.equal(false);
    });
  }
});

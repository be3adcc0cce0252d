import { expect } from 'chai';
import { interruptedExitCode, stopSignalOf, unfinishedStep } from '../../lib/keel/db/migration-interruption';

describe('an interrupted migration run', () => {
  describe('unfinishedStep', () => {
    it('names the migration sequelize-cli announced and never finished', () => {
      const output = [
        '== 20260101000000-foundation: migrating =======',
        '== 20260101000000-foundation: migrated (0.021s)',
        '',
        '== 20990101000000-add-colour: migrating =======',
      ].join('\n');

      expect(unfinishedStep(output)).to.deep.equal({ name: '20990101000000-add-colour', action: 'migrating' });
    });

    it('names a revert in progress', () => {
      expect(unfinishedStep('== 20990101000000-add-colour: reverting =======\n')).to.deep.equal({
        name: '20990101000000-add-colour',
        action: 'reverting',
      });
    });

    it('is undefined when every announced step finished, or none was', () => {
      expect(unfinishedStep('== 20260101000000-foundation: migrating =======\n== 20260101000000-foundation: migrated (0.021s)\n')).to.equal(
        undefined,
      );
      expect(unfinishedStep('Loaded configuration file "config/sequelize-cli.js".\n')).to.equal(undefined);
    });
  });

  it('exits 130 for SIGINT and 143 for SIGTERM, the shell convention', () => {
    expect(interruptedExitCode('SIGINT')).to.equal(130);
    expect(interruptedExitCode('SIGTERM')).to.equal(143);
  });

  it('takes the signal from the stop reason, SIGTERM when it names none', () => {
    const interrupted = new AbortController();
    interrupted.abort('SIGINT');
    const stopped = new AbortController();
    stopped.abort();

    expect(stopSignalOf(interrupted.signal)).to.equal('SIGINT');
    expect(stopSignalOf(stopped.signal)).to.equal('SIGTERM');
  });
});

import { expect } from 'chai';
import { CrashWindow } from '../../bin/crash-window';

describe('CrashWindow (the cluster primary gives up on a crash loop)', () => {
  it('gives up at the fifth crash within 60 s', () => {
    const window = new CrashWindow(5, 60_000);

    const verdicts = [0, 100, 300, 700, 1_500].map((at) => window.record(at));

    expect(verdicts).to.deep.equal([false, false, false, false, true]);
    expect(window.count).to.equal(5);
  });

  it('does not give up when the crashes are spread over more than the window', () => {
    const window = new CrashWindow(5, 60_000);

    const verdicts = [0, 20_000, 40_000, 59_000, 60_000, 80_000, 100_000].map((at) => window.record(at));

    expect(verdicts).to.deep.equal([false, false, false, false, false, false, false]);
    expect(window.count, 'crashes in the 60 s up to the last one').to.equal(4);
  });
});

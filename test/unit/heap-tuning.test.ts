import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';

describe('disableAllocationSitePretenuring', () => {
  it("names a flag this Node's V8 knows (an unknown one is only reported on stderr, and changes nothing)", () => {
    const module = path.join(__dirname, '..', '..', 'bin', 'heap-tuning.js');
    const script = `require(${JSON.stringify(module)}).disableAllocationSitePretenuring();`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });

    expect(child.status).to.equal(0);
    expect(child.stderr).to.equal('');
  });
});

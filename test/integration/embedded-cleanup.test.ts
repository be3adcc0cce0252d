import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createLogger } from '../../config/logger';
import { startEmbeddedDatabase } from '../../lib/keel/db/embedded';
import { freePort, queryOnce } from '../support/database';

describe('an embedded PostgreSQL that is not persistent', function () {
  this.timeout(60_000);

  it('leaves nothing behind once stopped: neither its data directory nor the password file beside it', async () => {
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-embedded-cleanup-'));
    // PostgreSQL runs as the unprivileged postgres user when we are root: it must reach the directory.
    await fs.chmod(parent, 0o755);
    try {
      const embedded = await startEmbeddedDatabase({
        dataDir: path.join(parent, 'postgres'),
        port: await freePort(),
        databaseName: 'keel_cleanup',
        persistent: false,
        logger: createLogger({ env: 'test', logLevel: 'silent' }),
      });
      const [row] = await queryOnce<{ answer: number }>(embedded.url, 'SELECT 42 AS answer');
      const whileRunning = await fs.readdir(parent);

      await embedded.stop();

      expect(row?.answer, 'it served').to.equal(42);
      expect(whileRunning.length, 'what it kept in the parent while running').to.be.at.least(2);
      expect(await fs.readdir(parent), 'left in the parent directory').to.deep.equal([]);
    } finally {
      await fs.rm(parent, { recursive: true, force: true });
    }
  });
});

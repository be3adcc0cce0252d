import net from 'node:net';
import { expect } from 'chai';
import { testDatabaseUrl } from '../support/database';
import { listeningWorkers, waitFor } from '../support/cluster';
import { httpRequest } from '../support/http';
import { logEntries, spawnServer, type ServerProcess } from '../support/process';

describe('bin/www with WEB_CONCURRENCY=2', function () {
  this.timeout(40_000);
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.kill();
    server = undefined;
  });

  function start(port = 0): ServerProcess {
    server = spawnServer({
      NODE_ENV: 'production',
      PORT: String(port),
      LOG_LEVEL: 'info',
      WEB_CONCURRENCY: '2',
      DATABASE_URL: testDatabaseUrl(),
      AUTH: 'off',
    });
    return server;
  }

  it('starts two workers on one port, replaces a killed worker, and drains all of them on SIGTERM with exit 0', async () => {
    const primary = start();
    const [first, second] = await waitFor(
      () => {
        const workers = listeningWorkers(primary.output());
        return workers.length >= 2 ? workers : undefined;
      },
      20_000,
      'two workers listening',
    );
    if (!first || !second) throw new Error('unreachable');
    expect(first.pid).to.not.equal(second.pid);
    expect([first.pid, second.pid]).to.not.include(primary.child.pid);
    expect(second.port).to.equal(first.port);

    process.kill(first.pid, 'SIGKILL');
    const replacement = await waitFor(
      () => listeningWorkers(primary.output()).find((worker) => worker.pid !== first.pid && worker.pid !== second.pid),
      20_000,
      'a replacement worker',
    );
    const health = await httpRequest(first.port, '/health');

    expect(primary.output()).to.match(/"message":"worker died; starting a replacement"/);
    expect(health.status).to.equal(200);
    expect(primary.child.exitCode, 'the primary survives a worker crash').to.equal(null);

    primary.child.kill('SIGTERM');
    const { code } = await primary.exited;

    expect(code).to.equal(0);
    const completed = primary.output().match(/"message":"shutdown complete"/g) ?? [];
    expect(completed.length, 'two workers and the primary completed their shutdown').to.equal(3);
    for (const pid of [second.pid, replacement.pid]) {
      expect(() => process.kill(pid, 0), `worker ${pid} is gone`).to.throw();
    }
  });

  describe('when every worker crashes on start (another process holds the port)', () => {
    let holder: net.Server | undefined;
    afterEach(async () => {
      await new Promise((resolve) => (holder ? holder.close(resolve) : resolve(undefined)));
      holder = undefined;
    });

    it('stops replacing them after five crashes within 60 s and exits 1, saying why', async () => {
      holder = net.createServer();
      const taken = await new Promise<number>((resolve) => holder?.listen(0, () => resolve((holder?.address() as net.AddressInfo).port)));

      const primary = start(taken);
      const { code } = await primary.exited;

      const entries = logEntries(primary);
      const replaced = entries.filter((entry) => entry.message === 'worker died; starting a replacement');
      const gaveUp = entries.filter((entry) => /^workers crashed 5 times within 60 s; exiting/.test(String(entry.message)));
      const workerPids = entries.filter((entry) => 'worker' in entry && typeof entry.pid === 'number').map((entry) => entry.pid as number);
      expect(code).to.equal(1);
      expect(replaced, 'crashes before the fifth were replaced').to.have.lengthOf(4);
      expect(gaveUp).to.have.lengthOf(1);
      expect(gaveUp[0]).to.include({ level: 'error', code: 1 });
      expect(primary.output()).to.include(`keel: workers crashed 5 times within 60 s; exiting so the platform restarts or alerts`);
      expect(
        entries.filter((entry) => entry.message === `port ${taken} is already in use; stop the other process or choose another PORT`),
      ).to.have.length.of.at.least(5);
      expect(
        entries.some((entry) => entry.message === 'uncaught exception; exiting'),
        'each worker said why it stopped',
      ).to.equal(false);
      for (const pid of workerPids) expect(() => process.kill(pid, 0), `worker ${pid} is gone`).to.throw();
    });
  });
});

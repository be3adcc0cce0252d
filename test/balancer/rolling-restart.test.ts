// `npm run test:balancer` (not part of `npm test`: it needs HAProxy; .ci/run installs it). Two real
// keel processes behind a real HAProxy running the example configuration from docs/haproxy.cfg,
// restarted one after the other under steady load.
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, testDatabaseUrl } from '../support/database';
import { EXAMPLE_CONFIG, exampleSettings, localConfig, requireHaproxy, startHaproxy, type Haproxy } from '../support/haproxy';
import { startProductionServer, type ServerProcess } from '../support/process';
import { startSteadyLoad, type LoadTally, type SteadyLoad } from '../support/steady-load';

const LOAD = { path: '/health', clients: 8, maxRequests: 500_000, requestTimeoutMs: 10_000 };

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface RestartResult extends LoadTally {
  /** How the replaced processes exited. */
  readonly exitCodes: (number | null)[];
}

describe('keel behind HAProxy with the example configuration (docs/haproxy.cfg)', function () {
  this.timeout(60_000);
  const example = fs.readFileSync(EXAMPLE_CONFIG, 'utf8');
  const settings = exampleSettings(example);
  const backend = /^backend\s+(\S+)/m.exec(example)?.[1] ?? 'missing backend';
  const serverNames = [...example.matchAll(/^\s*server\s+(\S+)/gm)].map((match) => match[1] ?? '');

  let servers: ServerProcess[] = [];
  let haproxy: Haproxy | undefined;
  let load: SteadyLoad | undefined;
  let dir: string | undefined;

  before(() => requireHaproxy());

  afterEach(async () => {
    await load?.stop();
    await Promise.all(servers.map((server) => server.kill()));
    await haproxy?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    [servers, haproxy, load, dir] = [[], undefined, undefined, undefined];
  });

  async function serverIsUp(name: string): Promise<boolean> {
    const state = (await haproxy?.servers(backend))?.get(name);
    return state?.status === 'UP' && state.checkStatus === 'L7OK';
  }

  /**
   * Starts one keel per `server` line and HAProxy in front, puts steady load through HAProxy, then
   * replaces each process in turn as an orchestrator does: SIGTERM, wait for it to exit, start the
   * replacement on the same port, wait until HAProxy has it back in rotation.
   */
  async function rollingRestart(options: { drainDelayMs: number; withoutRetries: boolean }): Promise<RestartResult> {
    const env = {
      DATABASE_URL: testDatabaseUrl(),
      AUTH: 'off',
      SHUTDOWN_DRAIN_DELAY_MS: String(options.drainDelayMs),
    };
    const ports = await Promise.all(serverNames.map(() => freePort()));
    const start = (port: number): Promise<ServerProcess> => startProductionServer({ ...env, PORT: String(port) });
    servers = await Promise.all(ports.map(start));

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-balancer-'));
    const statsSocket = path.join(dir, 'stats.sock');
    const frontendPort = await freePort();
    const config = localConfig(example, { frontendPort, serverPorts: ports, statsSocket, withoutRetries: options.withoutRetries });
    haproxy = await startHaproxy(config, statsSocket);
    const balancer = haproxy;
    const detail = (): string => `haproxy:\n${balancer.output()}`;
    for (const name of serverNames) await waitUntil(() => serverIsUp(name), `HAProxy has ${name} up`, 15_000, detail);

    load = startSteadyLoad({ port: frontendPort, ...LOAD });
    const running = load;
    await waitUntil(() => running.completed() >= 200, 'the load is flowing through HAProxy', 15_000, detail);

    const exitCodes: (number | null)[] = [];
    for (const [index, port] of ports.entries()) {
      const old = servers[index] as ServerProcess;
      old.child.kill('SIGTERM');
      exitCodes.push((await old.exited).code);
      servers[index] = await start(port);
      const name = serverNames[index] as string;
      await waitUntil(() => serverIsUp(name), `HAProxy has the replacement ${name} up`, 15_000, detail);
    }
    const afterRestart = running.completed();
    await waitUntil(() => running.completed() >= afterRestart + 200, 'the load flows after the restart', 15_000, detail);

    const tally = await running.stop();
    load = undefined;
    console.log(
      `      drain delay ${options.drainDelayMs} ms, ${options.withoutRetries ? 'no retries' : 'retries'}: ` +
        `${tally.failed} failed of ${tally.ok + tally.failed} requests ${JSON.stringify(tally.failures)}`,
    );
    return { ...tally, exitCodes };
  }

  it(`recommends a SHUTDOWN_DRAIN_DELAY_MS longer than HAProxy needs to see readiness fail (inter × fall + timeout check)`, () => {
    const detection = settings.interMs * settings.fall + settings.checkTimeoutMs;
    expect(settings.drainDelayMs, `${settings.interMs} × ${settings.fall} + ${settings.checkTimeoutMs} ms`).to.be.greaterThan(detection);
  });

  it('loses no request in a rolling restart under load, configured as the example is (drain delay and retries)', async () => {
    const result = await rollingRestart({ drainDelayMs: settings.drainDelayMs, withoutRetries: false });
    expect(result.failed, JSON.stringify(result.failures)).to.equal(0);
    expect(result.exitCodes, 'each replaced process shut down cleanly').to.deep.equal(serverNames.map(() => 0));
  });

  // Retries alone also save GETs on loopback, where a stopped process refuses at once; the drain
  // delay is what protects a request that cannot be retried, and a balancer that does not retry.
  it('loses no request in the same rolling restart with the drain delay alone (retries off)', async () => {
    const result = await rollingRestart({ drainDelayMs: settings.drainDelayMs, withoutRetries: true });
    expect(result.failed, JSON.stringify(result.failures)).to.equal(0);
  });

  it('fails requests in the same rolling restart with neither drain delay nor retries (what they are for)', async () => {
    const result = await rollingRestart({ drainDelayMs: 0, withoutRetries: true });
    expect(result.failed, 'requests HAProxy still sent to a process that had stopped listening').to.be.greaterThan(0);
  });
});

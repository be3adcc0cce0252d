import { expect } from 'chai';
import { testDatabaseUrl } from '../support/database';
import { spawnServer, type ServerProcess } from '../support/process';

const WARNING = /NODE_ENV is not set: running with development defaults/;
const ALL_WARNINGS = new RegExp(WARNING.source, 'g');
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const withoutColours = (line: string): string => line.replace(COLOUR, '');

/** Starts bin/www and waits until every process that will listen (workers) has said so. */
async function startAndWaitForListening(env: Record<string, string>, listeners = 1): Promise<ServerProcess> {
  const server = spawnServer({ PORT: '0', ...env });
  await server.waitForOutput(new RegExp(`(listening[\\s\\S]*){${listeners}}`), 30_000);
  return server;
}

describe('bin/www with DATABASE_URL set', function () {
  this.timeout(40_000);
  const started: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.kill()));
  });

  for (const [how, nodeEnv] of [
    ['unset', {}],
    ['empty', { NODE_ENV: '' }],
  ] as const) {
    it(`warns in one line at boot that it runs with development defaults when NODE_ENV is ${how}`, async () => {
      const server = await startAndWaitForListening({ DATABASE_URL: testDatabaseUrl(), ...nodeEnv });
      started.push(server);

      const lines = server
        .output()
        .split('\n')
        .filter((line) => WARNING.test(line))
        .map(withoutColours);
      expect(lines, server.output()).to.have.length(1);
      expect(lines[0]).to.match(/ warn /);
      expect(lines[0]).to.include('/metrics is open without a token').and.to.include('readable text rather than JSON');
      expect(lines[0]).to.include('NODE_ENV=production');
    });
  }

  it('warns once, from the primary, when it runs two workers', async () => {
    const server = await startAndWaitForListening({ DATABASE_URL: testDatabaseUrl(), WEB_CONCURRENCY: '2' }, 2);
    started.push(server);

    expect(server.output().match(ALL_WARNINGS), server.output()).to.have.length(1);
  });

  const explicit: Record<string, string>[] = [{ NODE_ENV: 'development' }, { NODE_ENV: 'production', AUTH: 'off' }];
  for (const env of explicit) {
    it(`does not warn when NODE_ENV=${env.NODE_ENV} is set`, async () => {
      const server = await startAndWaitForListening({ DATABASE_URL: testDatabaseUrl(), ...env });
      started.push(server);

      expect(server.output()).to.include('listening').and.not.to.match(WARNING);
    });
  }
});

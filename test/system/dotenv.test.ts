import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import { freePort, testDatabaseUrl } from '../support/database';
import { httpRequest } from '../support/http';
import { spawnServer, stageProjectCopy, type ServerProcess } from '../support/process';

describe('bin/www and a .env file', function () {
  this.timeout(60_000);
  let dir: string;
  let www: string;
  const started: ServerProcess[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-dotenv-'));
    // As root, the embedded PostgreSQL runs as the user postgres, which must reach its data directory here.
    fs.chmodSync(dir, 0o755);
    www = stageProjectCopy(dir);
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.kill()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('when .env is .env.example copied as it is, in development', () => {
    it('starts, takes what the environment lacks from the file and keeps what the environment sets', async () => {
      fs.copyFileSync(path.join(projectRoot(), '.env.example'), path.join(dir, '.env'));
      const server = spawnServer({ PORT: '0', EMBEDDED_DATABASE_PORT: String(await freePort()) }, www);
      started.push(server);

      const [, port] = await server.waitForOutput(/listening.*"port":(\d+)/, 50_000);
      const database = await httpRequest(Number(port), '/health/db');

      expect(database.status).to.equal(200);
      // .env.example says PORT=3000; the environment's PORT=0 won.
      expect(Number(port)).to.not.equal(3000);
      expect(server.output()).to.match(/read \.env.*"variables":\[[^\]]*"NODE_ENV"/);
      expect(server.output()).to.not.match(/"variables":\[[^\]]*"PORT"/);
    });
  });

  describe('when started in production with a .env that holds everything production needs', () => {
    it('never reads it: exits 1 naming the variables the environment lacks', async () => {
      fs.writeFileSync(
        path.join(dir, '.env'),
        `DATABASE_URL=${testDatabaseUrl()}\nAUTH_ISSUER=https://id.example.com/\nAUTH_AUDIENCE=keel\n`,
      );
      const server = spawnServer({ NODE_ENV: 'production', PORT: '0' }, www);
      started.push(server);

      const { code } = await server.exited;

      expect(code).to.equal(1);
      expect(server.output()).to.match(/DATABASE_URL: is required/);
      expect(server.output()).to.match(/AUTH_ISSUER: is required/);
    });
  });
});

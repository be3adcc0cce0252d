import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDotEnv } from '../../config/dotenv';
import { ConfigError, loadConfig } from '../../config/env';
import { projectRoot } from '../../config/project';

describe('loadDotEnv(env, file)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-dotenv-'));
    file = path.join(dir, '.env');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('in development (NODE_ENV unset) with a .env file', () => {
    it('sets the variables the environment lacks and returns their names', () => {
      fs.writeFileSync(file, 'PORT=4100\n# a comment\nLOG_LEVEL="warn"\n');
      const env: NodeJS.ProcessEnv = {};

      const loaded = loadDotEnv(env, file);

      expect(env).to.deep.equal({ PORT: '4100', LOG_LEVEL: 'warn' });
      expect(loaded).to.have.members(['PORT', 'LOG_LEVEL']);
    });

    it('never overrides a variable already set, even to an empty value', () => {
      fs.writeFileSync(file, 'PORT=4100\nLOG_LEVEL=warn\n');
      const env: NodeJS.ProcessEnv = { PORT: '5000', LOG_LEVEL: '' };

      const loaded = loadDotEnv(env, file);

      expect(env).to.deep.equal({ PORT: '5000', LOG_LEVEL: '' });
      expect(loaded).to.deep.equal([]);
    });

    it('refuses a file that would switch the process to production', () => {
      fs.writeFileSync(file, 'NODE_ENV=production\n');

      expect(() => loadDotEnv({}, file)).to.throw(ConfigError, /NODE_ENV: a \.env file is read in development and test only/);
    });
  });

  describe('in test with a .env file', () => {
    it('reads it like development', () => {
      fs.writeFileSync(file, 'JSON_BODY_LIMIT_KB=8\n');
      const env: NodeJS.ProcessEnv = { NODE_ENV: 'test' };

      loadDotEnv(env, file);

      expect(env.JSON_BODY_LIMIT_KB).to.equal('8');
    });
  });

  for (const deployed of ['staging', 'production']) {
    describe(`in ${deployed}`, () => {
      it('never reads the file', () => {
        fs.writeFileSync(file, 'DATABASE_URL=postgres://u@db.internal:5432/app\n');
        const env: NodeJS.ProcessEnv = { NODE_ENV: deployed };

        const loaded = loadDotEnv(env, file);

        expect(env).to.deep.equal({ NODE_ENV: deployed });
        expect(loaded).to.deep.equal([]);
      });

      it('does not even look for it: a directory in its place is no error', () => {
        fs.mkdirSync(file);

        expect(loadDotEnv({ NODE_ENV: deployed }, file)).to.deep.equal([]);
      });
    });
  }

  describe('without a .env file', () => {
    it('changes nothing', () => {
      const env: NodeJS.ProcessEnv = { PORT: '1' };

      expect(loadDotEnv(env, file)).to.deep.equal([]);
      expect(env).to.deep.equal({ PORT: '1' });
    });
  });

  describe('with .env.example copied as it is', () => {
    it('gives a configuration that is valid in development', () => {
      fs.copyFileSync(path.join(projectRoot(), '.env.example'), file);
      const env: NodeJS.ProcessEnv = {};

      loadDotEnv(env, file);
      const config = loadConfig(env);

      expect(env.NODE_ENV).to.equal('development');
      expect(config.env).to.equal('development');
      expect(config.database.url).to.equal(undefined);
    });
  });
});

import fs from 'node:fs';
import { parseEnv } from 'node:util';
import { isDeployed } from './deployed';
import { ConfigError } from './env';

/**
 * Development and test read a `.env` file (twelve-factor frameworks do the same), so the values of
 * `.env.example` can be kept in one file instead of exported in every shell. A variable already set
 * in the environment always wins. Staging and production never read it: there the platform's config
 * vars are the only source, and a stray `.env` in a slug changes nothing.
 *
 * Sets the missing variables on env (so child processes inherit them) and returns their names.
 */
export function loadDotEnv(env: NodeJS.ProcessEnv, file: string): string[] {
  if (isDeployed(env.NODE_ENV)) return [];
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const values = parseEnv(text);
  if (env.NODE_ENV === undefined && isDeployed(values.NODE_ENV)) {
    throw new ConfigError([
      'NODE_ENV: a .env file is read in development and test only; set NODE_ENV=staging or production in the environment itself',
    ]);
  }
  const loaded = Object.keys(values).filter((name) => env[name] === undefined);
  for (const name of loaded) env[name] = values[name];
  return loaded;
}

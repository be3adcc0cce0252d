import { applyDotEnvFile } from './dotenv-file';
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
  const result = applyDotEnvFile(env, file);
  if (result.refused !== undefined) throw new ConfigError([result.refused]);
  return result.loaded;
}

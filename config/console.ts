import { format } from 'node:util';
import type { Logger } from './logger';

/** The console methods libraries write with, and the level each becomes. */
const LEVELS = { error: 'error', warn: 'warn', info: 'info', log: 'info', debug: 'debug' } as const;
type ConsoleMethod = keyof typeof LEVELS;

/**
 * Sends what libraries write with console.* through the logger, as lines of its own marked
 * `source: 'console'` (with the request id when written while serving one, redacted like any
 * line). Deployed, every line is JSON for the platform's log pipeline, but Sequelize writes a plain
 * line to stderr with console.warn when a COMMIT or ROLLBACK fails: during an incident, when the
 * logs are read. bin/www does this in staging and production only: in development and tests a
 * developer's console.log must print as it is. Returns the function that puts console back.
 */
export function sendConsoleToLogger(logger: Logger): () => void {
  const originals = (Object.keys(LEVELS) as ConsoleMethod[]).map((method) => [method, console[method]] as const);
  for (const [method] of originals) {
    console[method] = (...args: unknown[]) => {
      logger.log(LEVELS[method], format(...args), { source: 'console' });
    };
  }
  return () => {
    for (const [method, original] of originals) console[method] = original;
  };
}

import { format } from 'node:util';
import type { Logger } from './logger';

/** The console methods libraries write with, and the level each becomes. */
const LEVELS = { error: 'error', warn: 'warn', info: 'info', log: 'info', debug: 'debug' } as const;
type ConsoleMethod = keyof typeof LEVELS;

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/**
 * Sends what libraries write with console.* through the logger, as lines of its own marked
 * `source: 'console'`. Deployed, every line is JSON for the platform's log pipeline, but Sequelize
 * writes a plain line to stderr with console.warn when a COMMIT or ROLLBACK fails: during an
 * incident, when the logs are read. bin/www does this in staging and production only: in
 * development and tests a developer's console.log must print as it is. Returns the function that
 * puts console back.
 *
 * The text is made as console makes it, except that an object or error argument is only named in
 * it (`<object>`, `<SequelizeUniqueConstraintError>`) and goes in `values`, which the logger redacts
 * as any field (a database error summarised, secret keys masked): formatted into the text, a
 * database error would print its SQL and the values it quotes.
 */
export function sendConsoleToLogger(logger: Logger): () => void {
  const originals = (Object.keys(LEVELS) as ConsoleMethod[]).map((method) => [method, console[method]] as const);
  for (const [method] of originals) {
    console[method] = (...args: unknown[]) => {
      const text = format(...args.map((arg) => (isObject(arg) ? `<${arg instanceof Error ? arg.name : 'object'}>` : arg)));
      const values = args.filter(isObject);
      logger.log(LEVELS[method], text, { source: 'console', ...(values.length > 0 ? { values } : {}) });
    };
  }
  return () => {
    for (const [method, original] of originals) console[method] = original;
  };
}

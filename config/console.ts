import { format } from 'node:util';
import type { Logger } from './logger';

// Deployed, every line is JSON for the platform's log pipeline: what libraries and Node itself would
// write to stderr as plain text goes through the logger instead.

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

/** What process.emitWarning emits: an Error named for its type, with an optional code and detail. */
type ProcessWarning = Error & { code?: string; detail?: string };

/**
 * Sends process warnings (`process.emitWarning`: a library's deprecation, MaxListenersExceededWarning)
 * through the logger at warn, as lines of their own marked `source: 'process'`, instead of Node's own
 * 'warning' listener, which prints them to stderr as plain text. bin/www calls this at boot, when Node's
 * listener is the only one there; with `--no-warnings` or NODE_NO_WARNINGS=1 there is none, the
 * warnings were silenced on purpose and stay so. Returns the function that puts Node's listener back.
 */
export function sendWarningsToLogger(logger: Logger): () => void {
  const printers = process.listeners('warning');
  if (printers.length === 0) return () => undefined;
  for (const printer of printers) process.removeListener('warning', printer);
  const logWarning = ({ name, message, code, detail }: ProcessWarning): void => {
    logger.warn(message, { source: 'process', warning: name, ...(code ? { code } : {}), ...(detail ? { detail } : {}) });
  };
  process.on('warning', logWarning);
  return () => {
    process.removeListener('warning', logWarning);
    for (const printer of printers) process.on('warning', printer);
  };
}

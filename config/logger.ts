import winston from 'winston';
import type { Config } from './env';

export type Logger = winston.Logger;

// Keys whose values are never logged; parameters/bind/replacements are SQL parameter values.
const SECRET_KEYS =
  /pass(word)?|secret|token|authorization|cookie|api[-_]?key|database_?url|connection_?string|^parameters$|^bind$|^replacements$/i;
// Greedy up to the last @ before the host, so a password with a raw @ is masked whole.
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)[^/\s]*@/gi;

/** Replaces credentials in URLs inside a string with ***. */
export function redactText(text: string): string {
  // Most strings hold no URL: a plain scan is far cheaper than running the pattern at every word.
  return text.includes('://') ? text.replace(URL_CREDENTIALS, '$1***@') : text;
}

// The keys a service logs are few and fixed in its code; remembering the answer for them spares the
// pattern on every line. Bounded, so that keys made from data cannot grow it without end.
const KNOWN_KEYS = new Map<string, boolean>();
const KNOWN_KEYS_MAX = 1_000;

function isSecretKey(key: string): boolean {
  const known = KNOWN_KEYS.get(key);
  if (known !== undefined) return known;
  const secret = SECRET_KEYS.test(key);
  if (KNOWN_KEYS.size < KNOWN_KEYS_MAX) KNOWN_KEYS.set(key, secret);
  return secret;
}

// Beyond this depth a value is replaced, not logged: deep structures are rarely worth a line, and cycles end here.
const MAX_DEPTH = 4;
const TRUNCATED = '[truncated]';

// A PostgreSQL error as pg raises it: a five-character SQLSTATE and the server's severity.
const SQLSTATE = /^[0-9A-Z]{5}$/;
type Fields = Record<string, unknown>;
function asPostgresError(value: unknown): Fields | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { code, severity } = value as Fields;
  return typeof code === 'string' && SQLSTATE.test(code) && typeof severity === 'string' ? (value as Fields) : undefined;
}

/** The pg error inside a database error (a Sequelize error's parent/original, or the error itself). */
function postgresErrorOf(value: Fields): Fields | undefined {
  return asPostgresError(value) ?? asPostgresError(value.parent ?? value.original);
}

/** Keys a database error (Sequelize's or pg's) may carry; what they hold is summarised, never logged whole. */
const DATABASE_ERROR_KEYS = new Set([
  ...['sql', 'parameters', 'parent', 'original', 'errors', 'fields', 'value', 'index', 'reltype', 'table', 'name', 'code'],
  ...['length', 'severity', 'detail', 'hint', 'position', 'internalPosition', 'internalQuery', 'where', 'schema', 'column'],
  ...['dataType', 'constraint', 'file', 'line', 'routine'],
]);

/**
 * What is logged of a database error outside development: what failed and where, never the data. Its SQL
 * (with replacements, values are inlined), bound values, the server's detail ("Key (email)=(a@b.c) already
 * exists."), Sequelize's fields and messages (which quote values: `invalid input syntax for type uuid: "…"`)
 * are left out. The stack keeps only its frames, as its first line is the message.
 */
function summariseDatabaseError(value: Fields): Fields | undefined {
  const postgres = postgresErrorOf(value);
  if (!postgres && !(typeof value.sql === 'string' && typeof value.name === 'string')) return undefined;
  const summary: Fields = { name: value.name, sqlState: postgres?.code };
  for (const key of ['constraint', 'table', 'schema', 'column', 'dataType', 'routine']) {
    if (typeof postgres?.[key] === 'string') summary[key] = postgres[key];
  }
  if (typeof value.stack === 'string') {
    const frames = value.stack.split('\n').filter((line) => /^\s+at /.test(line));
    summary.stack = [String(value.name), ...frames].join('\n');
  }
  return summary;
}

interface RedactOptions {
  /** Development: database errors are logged whole (SQL text and key values included), bound values still masked. */
  readonly keepDatabaseErrors: boolean;
}

function redactValue(value: unknown, depth: number, options: RedactOptions): unknown {
  if (typeof value === 'string') return redactText(value);
  // JSON has no bigint: as a string, so that no number loses digits and no line fails to print.
  if (typeof value === 'bigint') return value.toString();
  // A Date has no fields of its own to copy: kept, it prints as its ISO string.
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (depth > MAX_DEPTH) return TRUNCATED;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, options));
  if (!options.keepDatabaseErrors) {
    const summary = summariseDatabaseError(value as Fields);
    if (summary) return summary;
  }
  const result: Record<string, unknown> = {};
  if (value instanceof Error) {
    // message, stack, cause and an AggregateError's errors are not enumerable: without this they would be lost.
    result.name = value.name;
    result.message = redactText(value.message);
    if (typeof value.stack === 'string') result.stack = redactText(value.stack);
    if (value.cause !== undefined) result.cause = redactValue(value.cause, depth + 1, options);
    if (value instanceof AggregateError) result.errors = redactValue(value.errors, depth + 1, options);
  }
  for (const [key, inner] of Object.entries(value)) {
    result[key] = isSecretKey(key) ? '[redacted]' : redactValue(inner, depth + 1, options);
  }
  return result;
}

/** A line that is itself a database error (logger.error(error)): its error fields are summarised in place. */
function summariseLine(info: Fields, summary: Fields): void {
  for (const key of Object.keys(info)) if (DATABASE_ERROR_KEYS.has(key)) delete info[key];
  Object.assign(info, summary, { message: `database error ${String(summary.name)} (SQLSTATE ${String(summary.sqlState)})` });
}

// Redaction happens where the line is made, so no transport or formatter can print a secret.
const redact = winston.format((info, options: unknown) => {
  const redactOptions = options as RedactOptions;
  const summary = redactOptions.keepDatabaseErrors ? undefined : summariseDatabaseError(info);
  if (summary) summariseLine(info, summary);
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    info[key] = isSecretKey(key) ? '[redacted]' : redactValue(info[key], 0, redactOptions);
  }
  return info;
});

/** Fields of the current context (the request being served) added to every line. */
export type ContextFields = () => object | undefined;

const withContext = winston.format((info, options: unknown) => {
  const fields = (options as { fields?: ContextFields }).fields?.();
  if (fields) for (const [key, value] of Object.entries(fields)) info[key] ??= value;
  return info;
});

// Where a winston format leaves the finished line (triple-beam's MESSAGE).
const MESSAGE = Symbol.for('message');

// The ISO string of the last millisecond a line was stamped in: under load many lines share one,
// and making it was the dearest step of a line
// (docs/benchmark-notes.md#the-access-logs-line-its-timestamp-and-its-json).
let stampedAt = Number.NaN;
let stamp = '';

/** When the line was made, to the millisecond; a timestamp the caller passed is kept, as winston's format does. */
const timestamp = winston.format((info) => {
  if (info.timestamp === undefined) {
    const now = Date.now();
    if (now !== stampedAt) {
      stamp = new Date(now).toISOString();
      stampedAt = now;
    }
    info.timestamp = stamp;
  }
  return info;
});

/**
 * The line as JSON, keys in the order they were set. Plain JSON.stringify is enough here, and faster
 * than logform's cycle-safe, key-sorting one: redaction has already copied every value into plain
 * data, bounded in depth (so without cycles) and with bigints as strings.
 */
const jsonLine = winston.format((info) => {
  (info as Record<symbol, unknown>)[MESSAGE] = JSON.stringify(info);
  return info;
});

function formatFor(env: Config['env'], fields: ContextFields | undefined, colour: boolean): winston.Logform.Format {
  const common = [
    withContext({ fields }),
    winston.format.errors({ stack: true }),
    redact({ keepDatabaseErrors: env === 'development' }),
    timestamp(),
  ];
  if (env === 'development' || env === 'test') {
    return winston.format.combine(
      ...common,
      ...(colour ? [winston.format.colorize()] : []),
      winston.format.printf(({ timestamp, level, message, stack, ...meta }) => {
        const extra = Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : '';
        const trace = typeof stack === 'string' ? `\n${stack}` : '';
        return `${String(timestamp)} ${level} ${String(message)}${extra}${trace}`;
      }),
    );
  }
  return winston.format.combine(...common, jsonLine());
}

// stdout's lines of this turn of the event loop, not written yet.
let pendingStdout = '';
let flushesAtExit = false;

function flushStdout(): void {
  if (pendingStdout === '') return;
  const lines = pendingStdout;
  pendingStdout = '';
  process.stdout.write(lines);
}

/**
 * Lines for the process's stdout are written together, once per turn of the event loop: under load
 * a write(2) per line cost about as much as formatting it
 * (docs/benchmark-notes.md#after-the-gc-fixes-a-faster-host-and-where-the-cpu-goes). On process.exit
 * (shutdown, a fatal error) the lines still waiting are written before the process ends, since
 * stdout's writes to a file, a pipe or a terminal are synchronous on Linux. Only a process killed
 * outright (SIGKILL, an abort) loses them: at most one turn's lines.
 */
function writeToStdout(line: string): void {
  if (pendingStdout === '') {
    setImmediate(flushStdout);
    if (!flushesAtExit) process.on('exit', flushStdout);
    flushesAtExit = true;
  }
  pendingStdout += line;
}

/**
 * winston's Stream transport, minus the setImmediate it schedules for every line to emit 'logged', an
 * event nothing here listens to. Under load that callback cost more than formatting the line
 * (docs/benchmark-notes.md#reads-by-id-and-the-access-log). Lines for stdout are batched per turn
 * (writeToStdout); lines for any other stream (a test's capture) are written at once.
 */
class LineTransport extends winston.transports.Stream {
  constructor(private readonly stream: NodeJS.WritableStream) {
    super({ stream });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- winston-transport's own signature
  override log(info: any, next: () => void): void {
    const line = `${(info as Record<symbol, string>)[MESSAGE]}\n`;
    if (this.stream === process.stdout) writeToStdout(line);
    else this.stream.write(line);
    next();
  }
}

/**
 * A winston logger writing to stdout (12-factor): JSON when deployed, readable otherwise, in
 * colour only on a terminal (a pipe or a file gets no escape codes).
 * contextFields (the request id of the request being served) is added to every line, so code
 * deep in the database layer logs with the request id without being handed a logger per call.
 */
export function createLogger(
  config: Pick<Config, 'env' | 'logLevel'>,
  stream: NodeJS.WritableStream = process.stdout,
  contextFields?: ContextFields,
): Logger {
  return winston.createLogger({
    level: config.logLevel === 'silent' ? 'error' : config.logLevel,
    silent: config.logLevel === 'silent',
    format: formatFor(config.env, contextFields, (stream as { isTTY?: boolean }).isTTY === true),
    transports: [new LineTransport(stream)],
  });
}

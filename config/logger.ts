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
  return text.replace(URL_CREDENTIALS, '$1***@');
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const result: Record<string, unknown> = {};
  if (value instanceof Error) {
    // message and stack are not enumerable: without this an Error in metadata is logged as {}.
    result.name = value.name;
    result.message = redactText(value.message);
    if (typeof value.stack === 'string') result.stack = redactText(value.stack);
  }
  for (const [key, inner] of Object.entries(value)) {
    result[key] = SECRET_KEYS.test(key) ? '[redacted]' : redactValue(inner, depth + 1);
  }
  return result;
}

// Redaction happens where the line is made, so no transport or formatter can print a secret.
const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    info[key] = SECRET_KEYS.test(key) ? '[redacted]' : redactValue(info[key], 0);
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

function formatFor(env: Config['env'], fields: ContextFields | undefined, colour: boolean): winston.Logform.Format {
  const common = [withContext({ fields }), winston.format.errors({ stack: true }), redact(), winston.format.timestamp()];
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
  return winston.format.combine(...common, winston.format.json());
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
    transports: [new winston.transports.Stream({ stream })],
  });
}

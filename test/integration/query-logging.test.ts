import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Environment } from '../../config/env';
import { createLogger } from '../../config/logger';
import { createDatabase, type Database } from '../../lib/keel/db';
import { selectRows } from '../../lib/keel/db/reads';
import { testConfig } from '../support/app';
import { captureLog } from '../support/log-capture';

const BOUND_VALUE = `bound-${crypto.randomBytes(6).toString('hex')}`;
const REPLACED_VALUE = `replaced-${crypto.randomBytes(6).toString('hex')}`;
// Column aliases only the SQL text carries: finding one in the log means the text reached it.
const BOUND_SQL = 'keel_bound_marker';
const REPLACED_SQL = 'keel_replaced_marker';
const DIRECT_SQL = 'keel_direct_marker';
const DIRECT_VALUE = `direct-${crypto.randomBytes(6).toString('hex')}`;

interface LogLine {
  readonly level: string;
  readonly message: string;
}

/** Level and message of each line, in the JSON format (deployed) or the readable one (development, test). */
function logLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      if (line.startsWith('{')) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        return { level: String(entry.level), message: String(entry.message) };
      }
      // eslint-disable-next-line no-control-regex -- the readable format colours the level
      const [, level = '', message = ''] = /^\S+ (\w+) (.+?)(?: \{.*)?$/.exec(line.replace(/\u001b\[[0-9;]*m/g, '')) ?? [];
      return { level, message };
    });
}

type Speed = 'fast' | 'slow';

/**
 * Runs a query with a bound parameter, one with a replacement and a selectRows read through
 * createDatabase, as the app does, with a logger at silly in the given environment; returns what reached the log. SLOW_QUERY_MS
 * at its maximum keeps every query below it (logged at silly), at its minimum puts every query that
 * sleeps above it (logged at warn).
 */
async function logOfQueries(env: Environment, speed: Speed): Promise<{ text: string; lines: LogLine[] }> {
  const capture = captureLog();
  const logger = createLogger({ env, logLevel: 'silly' }, capture.stream);
  const config = testConfig({
    NODE_ENV: env,
    AUTH: 'off',
    // The test server speaks plaintext; deployed environments default to verified TLS.
    DATABASE_SSL: 'off',
    SLOW_QUERY_MS: speed === 'slow' ? '1' : '600000',
  });
  const database: Database = createDatabase({ ...config.database, url: config.database.url as string }, logger);
  // Sequelize starts its clock just after it sent the query (sequelize/lib/dialects/postgres/query.js): a busy
  // machine that pauses the process there takes the pause off the duration. 100 ms stays above 1 ms anyway.
  const sleep = speed === 'slow' ? 'pg_sleep(0.1), ' : '';
  try {
    await database.sequelize.query(`SELECT ${sleep}$1::text AS ${BOUND_SQL}`, { bind: [BOUND_VALUE] });
    await database.sequelize.query(`SELECT ${sleep}CAST(:value AS text) AS ${REPLACED_SQL}`, { replacements: { value: REPLACED_VALUE } });
    // A read outside a transaction, which runs on its connection without sequelize.query (lib/keel/db/reads.ts).
    await selectRows(database.sequelize, `SELECT ${sleep}$1::text AS ${DIRECT_SQL}`, [DIRECT_VALUE]);
  } finally {
    await database.close();
  }
  const text = await capture.text();
  return { text, lines: logLines(text) };
}

const queryLines = (lines: LogLine[], speed: Speed): LogLine[] =>
  lines.filter((line) =>
    speed === 'slow' ? line.level === 'warn' && line.message === 'slow query' : line.level === 'silly' && line.message === 'query',
  );

describe('SQL in the log', () => {
  for (const env of ['production', 'staging', 'test'] as const) {
    for (const speed of ['fast', 'slow'] as const) {
      const how = speed === 'slow' ? 'a slow query at warn' : 'every query at silly';
      it(`logs ${how} in ${env} with neither the SQL text nor bound or replaced values`, async () => {
        const { text, lines } = await logOfQueries(env, speed);

        expect(queryLines(lines, speed), `one line per query; log:\n${text}`).to.have.length(3);
        for (const absent of [BOUND_SQL, REPLACED_SQL, DIRECT_SQL, 'SELECT', BOUND_VALUE, REPLACED_VALUE, DIRECT_VALUE]) {
          expect(text, `the log in ${env}`).to.not.include(absent);
        }
      });
    }
  }

  for (const speed of ['fast', 'slow'] as const) {
    const how = speed === 'slow' ? 'a slow query at warn' : 'every query at silly';
    // Replacements are inlined into the SQL text by Sequelize, so development logs their values (README: SQL text only in development).
    it(`logs ${how} in development with its SQL text, but never a bound parameter's value`, async () => {
      const { text, lines } = await logOfQueries('development', speed);

      expect(queryLines(lines, speed), `one line per query; log:\n${text}`).to.have.length(3);
      expect(text).to.include(`$1::text AS ${BOUND_SQL}`);
      expect(text).to.include(`$1::text AS ${DIRECT_SQL}`);
      expect(text).to.not.include(BOUND_VALUE);
      expect(text).to.not.include(DIRECT_VALUE);
    });
  }
});

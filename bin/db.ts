#!/usr/bin/env node
// npm run db:migrate | db:migrate:undo | db:migrate:undo:all | db:seed | db:seed:undo: runs
// sequelize-cli against DATABASE_URL, or, when it is unset outside staging/production, against
// the embedded PostgreSQL (attaching to the one `npm start` runs, or starting it for the command).
import { createLogger } from '../config/logger';
import { runSequelizeCli, type MigrationCommand } from '../db/migrate';
import { loadConfigOrExit, startEmbedded } from './boot';

const COMMANDS: readonly MigrationCommand[] = ['db:migrate', 'db:migrate:undo', 'db:migrate:undo:all', 'db:seed:all', 'db:seed:undo:all'];

async function main(): Promise<number> {
  const command = process.argv[2] as MigrationCommand | undefined;
  if (!command || !COMMANDS.includes(command)) {
    process.stderr.write(`usage: bin/db <${COMMANDS.join('|')}>\n`);
    return 2;
  }
  const { config } = loadConfigOrExit();
  const logger = createLogger({ env: config.env, logLevel: config.logLevel === 'silent' ? 'silent' : 'info' });
  const embedded = config.database.url ? undefined : await startEmbedded(config, logger, { migrate: false });
  try {
    const url = config.database.url ?? (embedded?.url as string);
    const result = await runSequelizeCli(command, { ...process.env, NODE_ENV: config.env, DATABASE_URL: url });
    process.stdout.write(result.output);
    return result.code ?? 1;
  } finally {
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`keel: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

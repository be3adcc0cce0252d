#!/usr/bin/env node
// npm run db:migrate | db:migrate:undo | db:migrate:undo:all | db:seed | db:seed:undo, and the
// Procfile's release phase: runs sequelize-cli against DATABASE_URL, or, when it is unset outside
// staging/production, against the embedded PostgreSQL (attaching to the one `npm start` runs, or
// starting it for the command). Arguments after the command go to sequelize-cli.
import path from 'node:path';
import { createLogger } from '../config/logger';
import { projectRoot } from '../config/project';
import { runSequelizeCli, sequelizeCliPath, type MigrationCommand } from '../lib/keel/db/sequelize-cli';
import { loadConfigOrExit, startEmbedded } from './boot';

const COMMANDS: readonly MigrationCommand[] = ['db:migrate', 'db:migrate:undo', 'db:migrate:undo:all', 'db:seed:all', 'db:seed:undo:all'];

async function main(): Promise<number> {
  const command = process.argv[2] as MigrationCommand | undefined;
  if (!command || !COMMANDS.includes(command)) {
    process.stderr.write(`usage: bin/db <${COMMANDS.join('|')}>\n`);
    return 2;
  }
  // The platform stops a release with SIGTERM (SIGINT from a terminal): the running statement is
  // cancelled on the server and the sequelize-cli child stopped, instead of running on alone after the
  // migration lock has gone with this process; then one line says what was interrupted, and the exit
  // code is 130 (SIGINT) or 143 (SIGTERM). A second signal (npm and tsx forward Ctrl-C again) changes nothing.
  const stopping = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stopping.abort(signal));
  const { config } = loadConfigOrExit();
  const logger = createLogger({ env: config.env, logLevel: config.logLevel === 'silent' ? 'silent' : 'info' });
  const embedded = config.database.url ? undefined : await startEmbedded(config, logger, { migrate: false });
  try {
    const url = config.database.url ?? (embedded?.url as string);
    process.stdout.write(`keel: ${command} with ${path.relative(projectRoot(), sequelizeCliPath())}\n`);
    const result = await runSequelizeCli(
      command,
      { ...process.env, NODE_ENV: config.env, DATABASE_URL: url },
      {
        args: process.argv.slice(3),
        stop: stopping.signal,
        onWait: () => process.stdout.write('keel: another run holds the migration lock; waiting for it to finish\n'),
      },
    );
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

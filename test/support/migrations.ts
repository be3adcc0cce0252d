import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect } from 'chai';
import type { QueryInterface, Sequelize } from 'sequelize';
import { projectRoot } from '../../config/project';
import { runSequelizeCli, type CliResult, type MigrationCommand } from '../../lib/keel/db/sequelize-cli';

/** The migrations directory sequelize-cli reads (.sequelizerc). */
export const migrationsDirectory = (): string => path.join(projectRoot(), 'db', 'migrations');

/** keel's own migrations (a checkout's generated resources add theirs beside them), sorted. */
export const KEEL_MIGRATION_FILES: readonly string[] = ['20260101000000-foundation.js'];

/** The migration files in the repository, sorted, as sequelize-cli names them in SequelizeMeta. */
export function migrationFilesOnDisk(): string[] {
  return fs
    .readdirSync(migrationsDirectory())
    .filter((name) => name.endsWith('.js'))
    .sort();
}

/** Runs a sequelize-cli command against a database, as the release phase does, and fails with its output unless it exits 0. */
export async function runCliOk(command: MigrationCommand, databaseUrl: string): Promise<CliResult> {
  const result = await runSequelizeCli(command, { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATABASE_URL: databaseUrl });
  expect(result.code, `${command} exit code; output:\n${result.output}`).to.equal(0);
  return result;
}

/** A sequelize-cli migration module as loaded from disk. */
export interface MigrationModule {
  up(queryInterface: QueryInterface, sequelize: typeof Sequelize): Promise<void>;
  down(queryInterface: QueryInterface, sequelize: typeof Sequelize): Promise<void>;
}

const requireFile = createRequire(__filename);

/** Loads a CommonJS migration file and checks that it exports up() and down(). */
export function loadMigration(file: string): MigrationModule {
  const loaded: unknown = requireFile(file);
  const candidate = loaded as Partial<Record<'up' | 'down', unknown>> | undefined;
  expect(typeof candidate?.up, `${path.basename(file)} exports up()`).to.equal('function');
  expect(typeof candidate?.down, `${path.basename(file)} exports down()`).to.equal('function');
  return loaded as MigrationModule;
}

/** A temporary project (its .sequelizerc and db/migrations/) that npm run db:migration:new runs in. */
export interface GeneratorSandbox {
  readonly root: string;
  readonly migrations: string;
  run(name: string): { status: number | null; stdout: string; stderr: string };
}

export function generatorSandbox(): GeneratorSandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-generator-'));
  const migrations = path.join(root, 'db', 'migrations');
  fs.mkdirSync(migrations, { recursive: true });
  fs.writeFileSync(path.join(root, '.sequelizerc'), '');
  return {
    root,
    migrations,
    run(name) {
      // As npm runs it: keel's script, in the project's directory.
      const script = path.join(projectRoot(), 'lib', 'keel', 'generator', 'new-migration.js');
      const result = spawnSync(process.execPath, [script, name], { cwd: root, encoding: 'utf8', timeout: 10_000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

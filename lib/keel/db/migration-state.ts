import fs from 'node:fs/promises';
import { QueryTypes, type Sequelize } from 'sequelize';

export interface MigrationState {
  /** Migrations on disk that SequelizeMeta records as applied. */
  readonly applied: number;
  /** Migrations on disk not applied yet: the release phase did not run, or failed. */
  readonly pending: number;
  /** Applied migrations this build does not have on disk (a newer release migrated the database). */
  readonly unknown: number;
  /** The newest applied migration's name. */
  readonly latest: string | null;
}

const MIGRATION_FILE = /\.c?js$/;
const UNDEFINED_TABLE = '42P01';

export async function migrationsOnDisk(directory: string): Promise<string[]> {
  return (await fs.readdir(directory)).filter((name) => MIGRATION_FILE.test(name)).sort();
}

async function appliedMigrations(sequelize: Sequelize): Promise<string[]> {
  try {
    // useMaster: a replica may lag behind the release phase that just migrated the primary.
    const rows = await sequelize.query<{ name: string }>('SELECT name FROM "SequelizeMeta"', {
      type: QueryTypes.SELECT,
      logging: false,
      useMaster: true,
    });
    return rows.map((row) => row.name).sort();
  } catch (error) {
    // No SequelizeMeta table: nothing was ever migrated.
    if ((error as { parent?: { code?: string } }).parent?.code === UNDEFINED_TABLE) return [];
    throw error;
  }
}

/** Compares the migrations on disk with those recorded in SequelizeMeta. */
export async function readMigrationState(sequelize: Sequelize, directory: string): Promise<MigrationState> {
  const [onDisk, applied] = await Promise.all([migrationsOnDisk(directory), appliedMigrations(sequelize)]);
  const appliedSet = new Set(applied);
  const diskSet = new Set(onDisk);
  return {
    applied: onDisk.filter((name) => appliedSet.has(name)).length,
    pending: onDisk.filter((name) => !appliedSet.has(name)).length,
    unknown: applied.filter((name) => !diskSet.has(name)).length,
    latest: applied.at(-1) ?? null,
  };
}

export interface MigrationMonitor {
  /** The latest known state; undefined until the database has answered once. */
  current(): Promise<MigrationState | undefined>;
  /** The known state when no re-read is due, at once; otherwise undefined (ask current()). */
  settled(): MigrationState | undefined;
}

/** Pending migrations are re-checked this often; once none are pending the state is final. */
const RECHECK_PENDING_MS = 10_000;

/**
 * Reads the migration state lazily and rarely: a process's files do not change, and once every
 * migration on disk is applied nothing can become pending again, so health pings cost no query.
 */
export function createMigrationMonitor(sequelize: Sequelize, directory: string): MigrationMonitor {
  let known: MigrationState | undefined;
  let checkedAt = 0;
  let inFlight: Promise<MigrationState | undefined> | undefined;
  const settled = (): MigrationState | undefined =>
    known && (known.pending === 0 || Date.now() - checkedAt < RECHECK_PENDING_MS) ? known : undefined;
  return {
    settled,
    async current() {
      const state = settled();
      if (state) return state;
      inFlight ??= readMigrationState(sequelize, directory)
        .then(
          (state) => {
            known = state;
            checkedAt = Date.now();
            return state;
          },
          () => known,
        )
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
  };
}

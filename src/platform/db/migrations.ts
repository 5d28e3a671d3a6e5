import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { AppError } from '../errors.js';
import { m0001Core } from './migrations/0001-core.js';

/**
 * Numbered, forward-only migrations. Kysely's migrator takes a lock before it runs them (an advisory lock on
 * PostgreSQL, the write lock on SQLite), so several processes starting at once migrate exactly once.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-core': m0001Core,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  if (await isUpToDate(db)) return [];
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new AppError('unavailable', `database migration ${failed} failed: ${(error as Error).message}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * A read-only look at the migration table: when the newest migration is already recorded there is nothing
 * to lock or write, which keeps every CLI command's start-up to one small query.
 */
async function isUpToDate(db: Kysely<unknown>): Promise<boolean> {
  const latest = Object.keys(MIGRATIONS).sort().at(-1);
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration where name = ${latest}`.execute(db);
    return rows.length === 1;
  } catch {
    return false; // no migration table yet: a new database
  }
}

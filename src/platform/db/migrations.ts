import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { AppError } from '../errors.js';
import { dialectOfDb } from './database.js';
import { m0001Core } from './migrations/0001-core.js';
import { m0002Calendar } from './migrations/0002-calendar.js';
import { m0004Gates } from './migrations/0004-gates.js';
import { m0005Plans } from './migrations/0005-plans.js';

/**
 * Numbered, forward-only migrations, applied under a lock so that several processes starting at once migrate
 * exactly once: on PostgreSQL Kysely's migrator takes an advisory lock and runs them in one transaction; on
 * SQLite it does neither, so `migrateToLatest` holds the database's write lock around the whole run.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-core': m0001Core,
  '0002-calendar': m0002Calendar,
  '0004-gates': m0004Gates,
  '0005-plans': m0005Plans,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  if (await isUpToDate(db)) return [];
  if (dialectOfDb(db) === 'postgres') return runMigrator(db);
  return db.connection().execute(async (conn) => {
    // BEGIN IMMEDIATE takes the write lock now, waiting (busy_timeout) while another process migrates; that
    // process's work is then visible to the migrator, which finds nothing left to do. It also makes a failed
    // migration roll back whole instead of leaving half a schema, as PostgreSQL's transactional DDL does.
    await sql`begin immediate`.execute(conn);
    try {
      const applied = await runMigrator(conn);
      await sql`commit`.execute(conn);
      return applied;
    } catch (error) {
      // SQLite may already have rolled back on its own (e.g. disk full); the first error is the one to report.
      await sql`rollback`.execute(conn).catch(() => {});
      throw error;
    }
  });
}

async function runMigrator(db: Kysely<unknown>): Promise<string[]> {
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
  } catch (error) {
    if (isMissingTable(error)) return false; // no migration table yet: a new database
    // Anything else is the database refusing us (unreachable, wrong password, no such database): say so
    // here, before the migrator would report it as a failed migration.
    throw new AppError('unavailable', `cannot use the database: ${(error as Error).message}`);
  }
}

/** PostgreSQL's undefined_table, or SQLite's "no such table". */
function isMissingTable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === '42P01' || (typeof e?.message === 'string' && e.message.startsWith('no such table'));
}

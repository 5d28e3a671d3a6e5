import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { AppError } from '../errors.js';
import { type DatabaseHandle, dialectOfDb, openDatabase } from './database.js';
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

/** Opens the database named by `url` with its schema brought up to date (closed again when that fails). */
export async function openMigratedDatabase(url: string): Promise<DatabaseHandle> {
  const database = await openDatabase(url);
  try {
    await migrateToLatest(database.db as never);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

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
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new AppError(
      'unavailable',
      failed
        ? `database migration ${failed} failed: ${(error as Error).message}`
        : `cannot migrate the database: ${(error as Error).message}`,
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export interface MigrationState {
  name: string;
  /** `unknown`: recorded in the database but not part of this Railyard (a newer version migrated it). */
  status: 'applied' | 'pending' | 'unknown';
  appliedAt: string | null;
}

/** The migrations this Railyard knows, in the order they apply. */
export function knownMigrations(): string[] {
  return Object.keys(MIGRATIONS).sort();
}

/**
 * Every migration this Railyard knows with whether the database has it, plus any the database has that this
 * Railyard does not know (written by a newer version). Reads only: nothing is created or locked.
 */
export async function migrationStates(db: Kysely<unknown>): Promise<MigrationState[]> {
  const applied = new Map((await appliedMigrations(db)).map((m) => [m.name, m.appliedAt]));
  const known = knownMigrations();
  const states: MigrationState[] = known.map((name) => ({
    name,
    status: applied.has(name) ? 'applied' : 'pending',
    appliedAt: applied.get(name) ?? null,
  }));
  for (const [name, appliedAt] of applied) if (!known.includes(name)) states.push({ name, status: 'unknown', appliedAt });
  return states.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The migrations recorded in the database, by name; none when it has no migration table yet. */
export async function appliedMigrations(db: Kysely<unknown>): Promise<{ name: string; appliedAt: string }[]> {
  // Asked of the catalog rather than caught as an error, so that an unreachable database is reported as such
  // and not as one with nothing applied.
  const exists =
    dialectOfDb(db) === 'postgres'
      ? sql<{ found: string | null }>`select to_regclass('kysely_migration')::text as found`
      : sql<{ found: string | null }>`select name as found from sqlite_master where type = 'table' and name = 'kysely_migration'`;
  const { rows: found } = await exists.execute(db);
  if (!found[0]?.found) return [];
  const { rows } = await sql<{ name: string; timestamp: string }>`select name, timestamp from kysely_migration order by name`.execute(db);
  return rows.map((r) => ({ name: r.name, appliedAt: r.timestamp }));
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

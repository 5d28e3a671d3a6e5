import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { type CatalogTable, readCatalog } from './catalog.js';
import type { DatabaseHandle, Dialect } from './database.js';
import { endLine, headerLine, rowLine } from './dump.js';
import { appliedMigrations } from './migrations.js';

export interface DumpSummary {
  rows: number;
  /** Rows per table, in dump order. */
  tables: Record<string, number>;
  migration: string | null;
  dialect: Dialect;
}

/** Rows read per query: memory stays flat however large the database. */
const PAGE = 1000;

/**
 * Writes the database as a dump (see dump.ts) through `write`, which should wait when its destination is
 * full. Everything is read in one read-only transaction, so the dump is one consistent moment even while
 * servers keep writing: a repeatable-read snapshot on PostgreSQL; on SQLite a deferred read transaction,
 * which in WAL mode does not block writers. Nothing in the database is changed, not even its migrations.
 */
export async function exportDump(database: DatabaseHandle, clock: Clock, write: (chunk: string) => Promise<void>): Promise<DumpSummary> {
  const { dialect } = database;
  return database.db.connection().execute(async (conn) => {
    await sql.raw(dialect === 'postgres' ? 'begin transaction isolation level repeatable read read only' : 'begin deferred').execute(conn);
    try {
      const migrations = (await appliedMigrations(conn as Kysely<unknown>)).map((m) => m.name);
      if (migrations.length === 0) {
        throw new AppError('not_found', `${database.location} is not a Railyard database (no migrations applied): nothing to export`);
      }
      const tables = await readCatalog(conn, dialect);
      await write(headerLine({ migration: migrations.at(-1) ?? null, migrations, dialect, exportedAt: clock.now().toISOString() }));
      const counts: Record<string, number> = {};
      let rows = 0;
      for (const table of tables) {
        counts[table.name] = 0;
        for await (const page of pages(conn as Kysely<unknown>, table, dialect)) {
          // One write per page: the lines of a page are joined first, as a thousand small writes cost more.
          await write(page.map((row) => rowLine(table, row)).join(''));
          counts[table.name] = (counts[table.name] ?? 0) + page.length;
          rows += page.length;
        }
      }
      await write(endLine(rows));
      await sql`commit`.execute(conn);
      return { rows, tables: counts, migration: migrations.at(-1) ?? null, dialect };
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw error;
    }
  });
}

/** A table's rows in primary-key order, a page at a time, each page continuing after the last key seen. */
async function* pages(db: Kysely<unknown>, table: CatalogTable, dialect: Dialect): AsyncGenerator<Record<string, unknown>[]> {
  const textKey = new Set(table.columns.filter((c) => c.kind === 'text').map((c) => c.name));
  // Bytewise order on both databases: SQLite's default; on PostgreSQL said explicitly (our text columns are
  // created collate "C" already, so the primary key's index still serves the order).
  const keyExpr = (name: string): RawBuilder<unknown> =>
    dialect === 'postgres' && textKey.has(name) ? sql`${sql.ref(name)} collate "C"` : sql`${sql.ref(name)}`;
  const keys = table.primaryKey.map(keyExpr);
  const order = sql.join(keys);
  let last: unknown[] | undefined;
  for (;;) {
    const after = last ? sql`where (${order}) > (${sql.join(last)})` : sql``;
    const { rows } = await sql<
      Record<string, unknown>
    >`select * from ${sql.table(table.name)} ${after} order by ${order} limit ${PAGE}`.execute(db);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < PAGE) return;
    const lastRow = rows.at(-1) as Record<string, unknown>;
    last = table.primaryKey.map((k) => lastRow[k]);
  }
}

import { type Kysely, sql } from 'kysely';
import { AppError } from '../errors.js';
import { type CatalogTable, readCatalog } from './catalog.js';
import type { DatabaseHandle, Dialect, Queryable } from './database.js';
import { type DumpHeader, lineError, parseHeader, parseLine } from './dump.js';
import { appliedMigrations, knownMigrations } from './migrations.js';

export interface ImportOptions {
  /** The file's name, for messages. */
  file: string;
  /** Wipe a database that already holds data (in the same transaction as the import). */
  replace: boolean;
  /** Runs inside the transaction after the last row: throwing rolls the whole import back. */
  check?: (trx: Queryable) => Promise<void>;
}

export interface ImportSummary {
  rows: number;
  tables: Record<string, number>;
  migration: string | null;
  sourceDialect: Dialect;
  /** Whether rows that were there before were deleted (--replace). */
  replaced: boolean;
  /** PostgreSQL sequences moved past the imported rows. */
  sequences: number;
}

/**
 * Tables the migrations themselves fill with one counter row. A database with rows only in these is still
 * empty: the dump carries the same rows, which replace the initial ones.
 */
const SEEDED_BY_MIGRATIONS = new Set(['audit_head', 'calendar_state']);

/** Bound parameters per insert, under SQLite's limit (32,766) and PostgreSQL's (65,535). */
const PARAMETERS_PER_INSERT = 30_000;
const MAX_ROWS_PER_INSERT = 1000;

/**
 * Loads a dump into the database in one transaction: a bad line, a constraint the data breaks, or a failed
 * `check` leaves the database as it was. Lines are read as they come and inserted in batches, so memory holds
 * one batch, not the file. The target must be at the dump's migration level and empty unless `replace`.
 */
export async function importDump(database: DatabaseHandle, lines: AsyncIterable<string>, options: ImportOptions): Promise<ImportSummary> {
  // Taken before anything is awaited: readline emits lines as soon as it has them, and lines emitted
  // before anyone iterates are gone.
  const iterator = lines[Symbol.asyncIterator]();
  const { db, dialect } = database;
  const { file } = options;
  const migrations = (await appliedMigrations(db as Kysely<unknown>)).map((m) => m.name);
  const first = await iterator.next();
  if (first.done) throw lineError(file, 1, 'the file is empty: expected the dump header');
  const header: DumpHeader = parseHeader(first.value, file, { migrations, known: knownMigrations() });

  const trx = await db.startTransaction().execute();
  try {
    const tables = await readCatalog(trx, dialect);
    const replaced = await clearTarget(trx, tables, database.location, options.replace);
    const byName = new Map(tables.map((t) => [t.name, t]));
    const counts: Record<string, number> = {};
    let batch: { table: CatalogTable; values: Record<string, unknown>[]; firstLine: number } | undefined;
    let lineNo = 1;
    let rows = 0;
    let end: { rows: number; line: number } | undefined;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      lineNo++;
      if (end) throw lineError(file, lineNo, `nothing may follow the end line (line ${end.line})`);
      if (next.value.trim() === '') throw lineError(file, lineNo, 'empty line: expected a row or the end line');
      const parsed = parseLine(next.value, file, lineNo, byName, dialect);
      if (parsed.kind === 'end') {
        end = { rows: parsed.rows, line: lineNo };
        continue;
      }
      if (batch && (batch.table !== parsed.table || batch.values.length >= batchSize(batch.table))) {
        await insertBatch(trx, batch, file);
        batch = undefined;
      }
      batch ??= { table: parsed.table, values: [], firstLine: lineNo };
      batch.values.push(parsed.values);
      counts[parsed.table.name] = (counts[parsed.table.name] ?? 0) + 1;
      rows++;
    }
    if (batch) await insertBatch(trx, batch, file);
    if (!end) {
      throw lineError(file, lineNo, 'the dump stops without its end line {"end": {"rows": N}}: it is incomplete (did the export finish?)');
    }
    if (end.rows !== rows) throw lineError(file, end.line, `the end line counts ${end.rows} rows but the dump holds ${rows}`, 'end.rows');
    const sequences = dialect === 'postgres' ? await advanceSequences(trx, tables) : 0;
    await options.check?.(trx);
    await trx.commit().execute();
    return { rows, tables: counts, migration: header.migration, sourceDialect: header.dialect, replaced, sequences };
  } catch (error) {
    await trx
      .rollback()
      .execute()
      .catch(() => {});
    throw error;
  }
}

/** Deletes every row (children first) once it is clear that may be done; returns whether there was data. */
async function clearTarget(trx: Queryable, tables: CatalogTable[], location: string, replace: boolean): Promise<boolean> {
  const withData: string[] = [];
  for (const t of tables) {
    if (SEEDED_BY_MIGRATIONS.has(t.name)) continue;
    const { rows } = await sql`select 1 from ${sql.table(t.name)} limit 1`.execute(trx);
    if (rows.length > 0) withData.push(t.name);
  }
  if (withData.length > 0 && !replace) {
    throw new AppError(
      'conflict',
      `${location} already holds data (in ${withData.slice(0, 5).join(', ')}${withData.length > 5 ? ', …' : ''}): import into an empty database, or pass --replace to delete what it holds first (in the same transaction)`,
    );
  }
  for (const t of [...tables].reverse()) await sql`delete from ${sql.table(t.name)}`.execute(trx);
  return withData.length > 0;
}

function batchSize(table: CatalogTable): number {
  return Math.min(MAX_ROWS_PER_INSERT, Math.floor(PARAMETERS_PER_INSERT / table.columns.length));
}

/**
 * One multi-row insert under a savepoint. If the database refuses it (a duplicate key, a missing parent),
 * the rows are tried one at a time to find the line to name; the caller then rolls everything back.
 */
async function insertBatch(
  trx: Queryable,
  batch: { table: CatalogTable; values: Record<string, unknown>[]; firstLine: number },
  file: string,
): Promise<void> {
  const insert = (values: Record<string, unknown>[]) =>
    trx
      .insertInto(batch.table.name as never)
      .values(values as never)
      .execute();
  await sql`savepoint dump_batch`.execute(trx);
  try {
    await insert(batch.values);
  } catch (error) {
    await sql`rollback to savepoint dump_batch`.execute(trx);
    for (const [i, values] of batch.values.entries()) {
      try {
        await insert([values]);
      } catch (rowError) {
        throw lineError(file, batch.firstLine + i, `the database refused the row: ${(rowError as Error).message}`, batch.table.name);
      }
    }
    // Refused together, accepted one by one (a limit of the database on one statement): report it as it was.
    throw lineError(file, batch.firstLine, `the database refused rows from here on: ${(error as Error).message}`, batch.table.name);
  }
  await sql`release savepoint dump_batch`.execute(trx);
}

/**
 * PostgreSQL's serial and identity columns draw from sequences that inserted values do not move: each is set
 * past the largest imported value so the next row does not collide. (SQLite moves its AUTOINCREMENT counter
 * on every insert by itself.)
 */
async function advanceSequences(trx: Queryable, tables: CatalogTable[]): Promise<number> {
  let advanced = 0;
  for (const t of tables) {
    for (const c of t.columns) {
      if (!c.sequence) continue;
      await sql`select setval(${c.sequence}, coalesce((select max(${sql.ref(c.name)}) from ${sql.table(t.name)}), 0) + 1, false)`.execute(
        trx,
      );
      advanced++;
    }
  }
  return advanced;
}

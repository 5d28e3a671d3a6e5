import { sql } from 'kysely';
import { AppError } from '../errors.js';
import type { Dialect, Queryable } from './database.js';

/** How a column's values are written in a dump: the same JSON from either database. */
export type ColumnKind = 'text' | 'integer' | 'real' | 'boolean';

export interface CatalogColumn {
  name: string;
  kind: ColumnKind;
  nullable: boolean;
  /** PostgreSQL: the sequence behind a serial or identity column, advanced after an import. */
  sequence: string | null;
}

export interface CatalogTable {
  name: string;
  /** Sorted by name: a dump's row objects list their fields in this order on every database. */
  columns: CatalogColumn[];
  /** The primary key's columns in key order: rows are dumped in this order. */
  primaryKey: string[];
  /** Tables this one refers to with a foreign key (itself excluded). */
  references: string[];
}

/**
 * Railyard's tables as the database itself describes them, in an order where every table comes after the
 * tables it refers to (ties by name). Read from the live catalog rather than from schema.ts so that a dump
 * holds exactly what the database holds, whatever migrations built it. Kysely's own bookkeeping tables are
 * left out: the dump's header records the migrations instead.
 */
export async function readCatalog(db: Queryable, dialect: Dialect): Promise<CatalogTable[]> {
  const tables = dialect === 'postgres' ? await postgresTables(db) : await sqliteTables(db);
  for (const t of tables) {
    if (t.primaryKey.length === 0) {
      throw new AppError('internal', `table ${t.name} has no primary key: its rows cannot be dumped in a stable order`);
    }
  }
  return foreignKeyOrder(tables);
}

const OWN_TABLE = (name: string) => !name.startsWith('kysely_') && !name.startsWith('sqlite_');

async function sqliteTables(db: Queryable): Promise<CatalogTable[]> {
  const { rows: names } = await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(db);
  const tables: CatalogTable[] = [];
  for (const { name } of names.filter((n) => OWN_TABLE(n.name))) {
    const { rows: cols } = await sql<{ name: string; type: string; notnull: number; pk: number }>`
      select name, type, "notnull", pk from pragma_table_info(${name})`.execute(db);
    const { rows: fks } = await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${name})`.execute(db);
    tables.push({
      name,
      columns: cols
        .map((c) => ({
          name: c.name,
          kind: kindOf(name, c.name, c.type),
          // A single integer primary key is SQLite's rowid: never null, though the catalog does not say so.
          nullable: c.notnull === 0 && c.pk === 0,
          sequence: null,
        }))
        .sort(byName),
      primaryKey: cols
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      references: [...new Set(fks.map((f) => f.table))].filter((t) => t !== name),
    });
  }
  return tables;
}

async function postgresTables(db: Queryable): Promise<CatalogTable[]> {
  const { rows: cols } = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string; seq: string | null }>`
    select table_name, column_name, data_type, is_nullable,
           pg_get_serial_sequence(quote_ident(table_name), column_name) as seq
    from information_schema.columns
    where table_schema = current_schema()
      and table_name in (select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE')`.execute(
    db,
  );
  const { rows: keys } = await sql<{ table_name: string; column_name: string; position: number }>`
    select k.table_name, k.column_name, k.ordinal_position as position
    from information_schema.table_constraints c
    join information_schema.key_column_usage k
      on k.constraint_name = c.constraint_name and k.constraint_schema = c.constraint_schema and k.table_name = c.table_name
    where c.constraint_type = 'PRIMARY KEY' and c.table_schema = current_schema()`.execute(db);
  const { rows: fks } = await sql<{ from_table: string; to_table: string }>`
    select f.relname as from_table, t.relname as to_table
    from pg_constraint con
    join pg_class f on f.oid = con.conrelid
    join pg_class t on t.oid = con.confrelid
    where con.contype = 'f' and con.connamespace = current_schema()::regnamespace`.execute(db);
  const byTable = new Map<string, CatalogTable>();
  for (const c of cols) {
    if (!OWN_TABLE(c.table_name)) continue;
    let table = byTable.get(c.table_name);
    if (!table) {
      table = { name: c.table_name, columns: [], primaryKey: [], references: [] };
      byTable.set(c.table_name, table);
    }
    table.columns.push({
      name: c.column_name,
      kind: kindOf(c.table_name, c.column_name, c.data_type),
      nullable: c.is_nullable === 'YES',
      sequence: c.seq,
    });
  }
  for (const table of byTable.values()) {
    table.columns.sort(byName);
    table.primaryKey = keys
      .filter((k) => k.table_name === table.name)
      .sort((a, b) => a.position - b.position)
      .map((k) => k.column_name);
    table.references = [...new Set(fks.filter((f) => f.from_table === table.name).map((f) => f.to_table))].filter((t) => t !== table.name);
  }
  return [...byTable.values()];
}

/**
 * The dump's kind for a declared column type: SQLite's declared names (`text`, `integer`, `bigint`) and
 * PostgreSQL's `information_schema` names. A type the dump cannot carry faithfully is refused, not guessed.
 */
function kindOf(table: string, column: string, declared: string): ColumnKind {
  const t = declared.toLowerCase();
  if (/^(text|character varying|varchar|character|char|clob)\b/.test(t)) return 'text';
  if (/^(integer|int|bigint|smallint|int2|int4|int8)$/.test(t)) return 'integer';
  if (/^(real|double precision|double|float)$/.test(t)) return 'real';
  if (/^(boolean|bool)$/.test(t)) return 'boolean';
  throw new AppError('internal', `column ${table}.${column} has type ${declared}, which the dump format does not carry`);
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Kahn's algorithm, smallest name first among the tables that are ready: one order on every database. */
function foreignKeyOrder(tables: CatalogTable[]): CatalogTable[] {
  const pending = new Map(tables.map((t) => [t.name, t]));
  const ordered: CatalogTable[] = [];
  while (pending.size > 0) {
    const ready = [...pending.values()].filter((t) => t.references.every((r) => !pending.has(r))).sort(byName)[0];
    if (!ready) throw new AppError('internal', `foreign keys form a cycle among ${[...pending.keys()].join(', ')}`);
    ordered.push(ready);
    pending.delete(ready.name);
  }
  return ordered;
}

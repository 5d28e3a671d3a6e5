import { AppError, type ErrorDetail } from '../errors.js';
import type { CatalogColumn, CatalogTable } from './catalog.js';
import type { Dialect } from './database.js';

/**
 * The portable dump: JSON lines. Line 1 is the header; then one line per row, `{"table": …, "row": {…}}`,
 * tables in foreign-key order and rows by primary key; the last line, `{"end": {"rows": N}}`, says the dump is
 * whole. Values are written by column kind, not as the driver returned them, so the same data gives the same
 * bytes from SQLite and from PostgreSQL: integers (bigint too) as JSON numbers, booleans as true/false, text
 * as it is stored — JSON held in text columns stays text, byte for byte, because the audit chain hashes it.
 */
export const DUMP_FORMAT = 'railyard-dump';
export const DUMP_VERSION = 1;

export interface DumpHeader {
  format: typeof DUMP_FORMAT;
  version: number;
  /** The newest migration applied to the database it came from (null: none). */
  migration: string | null;
  /** Every migration applied to it, in order. */
  migrations: string[];
  dialect: Dialect;
  exportedAt: string;
}

export function headerLine(h: Omit<DumpHeader, 'format' | 'version'>): string {
  const header: DumpHeader = { format: DUMP_FORMAT, version: DUMP_VERSION, ...h };
  return `${JSON.stringify(header)}\n`;
}

export function endLine(rows: number): string {
  return `${JSON.stringify({ end: { rows } })}\n`;
}

/** One row as a dump line, its fields in the catalog's (name) order, each value normalised by its column's kind. */
export function rowLine(table: CatalogTable, row: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  for (const column of table.columns) {
    const value = row[column.name];
    const normalised = value === null || value === undefined ? null : exportValue(column, value);
    if (normalised instanceof Error) {
      const key = table.primaryKey.map((k) => String(row[k])).join(', ');
      throw new AppError('internal', `cannot export ${table.name}.${column.name} of row (${key}): ${normalised.message}`);
    }
    out[column.name] = normalised;
  }
  return `${JSON.stringify({ table: table.name, row: out })}\n`;
}

function exportValue(column: CatalogColumn, value: unknown): unknown {
  switch (column.kind) {
    case 'text':
      return typeof value === 'string' ? value : new Error(`expected text, the database holds ${describe(value)}`);
    case 'integer': {
      // pg returns bigint as a string; better-sqlite3 returns a number (or a bigint in safe-integer mode).
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : typeof value === 'bigint' ? Number(value) : value;
      if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
      return new Error(`expected a whole number within ±2^53, the database holds ${describe(value)}`);
    }
    case 'real':
      return typeof value === 'number' && Number.isFinite(value) ? value : new Error(`expected a finite number, got ${describe(value)}`);
    case 'boolean':
      if (value === true || value === 1) return true;
      if (value === false || value === 0) return false;
      return new Error(`expected a boolean, the database holds ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (Buffer.isBuffer(value)) return `binary data (${value.length} bytes)`;
  const text = typeof value === 'bigint' ? `${value}n` : JSON.stringify(value);
  return `${typeof value} ${text && text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

/** A problem at one line of the file being imported: the message names the file, the line and the field. */
export function lineError(file: string, line: number, message: string, path?: string): AppError {
  const detail: ErrorDetail = { file, line, message, ...(path ? { path } : {}) };
  return new AppError('validation_failed', `cannot import ${file} (nothing was imported)`, [detail]);
}

/**
 * Checks line 1 against what this Railyard can import into the target: the format and version, and the same
 * migrations (a dump from a newer schema has columns this version does not know; one from an older schema
 * lacks columns this one requires).
 */
export function parseHeader(text: string, file: string, target: { migrations: string[]; known: string[] }): DumpHeader {
  const value = parseJson(text, file, 1);
  const h = value as Partial<DumpHeader>;
  if (typeof value !== 'object' || value === null || h.format !== DUMP_FORMAT) {
    throw lineError(file, 1, `not a Railyard dump: the first line must be the header {"format": "${DUMP_FORMAT}", …}`);
  }
  if (h.version !== DUMP_VERSION) {
    throw lineError(
      file,
      1,
      `dump format version ${JSON.stringify(h.version)} is not one this Railyard reads (it reads ${DUMP_VERSION})`,
      'version',
    );
  }
  if (!Array.isArray(h.migrations) || !h.migrations.every((m) => typeof m === 'string')) {
    throw lineError(file, 1, 'expected the list of applied migrations', 'migrations');
  }
  const unknown = h.migrations.filter((m) => !target.known.includes(m));
  if (unknown.length > 0) {
    throw lineError(
      file,
      1,
      `the dump comes from a newer schema (migration ${unknown.join(', ')}, which this Railyard does not have; it knows up to ${target.known.at(-1)}): import it with the Railyard version that exported it, or a newer one`,
      'migrations',
    );
  }
  const missing = target.migrations.filter((m) => !(h.migrations as string[]).includes(m));
  if (missing.length > 0) {
    throw lineError(
      file,
      1,
      `the dump comes from an older schema (it lacks migration ${missing.join(', ')}): import it with the Railyard version that exported it, then upgrade that database`,
      'migrations',
    );
  }
  return h as DumpHeader;
}

export type DumpLine = { kind: 'row'; table: CatalogTable; values: Record<string, unknown> } | { kind: 'end'; rows: number };

/**
 * One line after the header, checked field by field against the target's catalog and turned into the
 * values to insert there (booleans as 0/1 on SQLite). Every field of the table must be present, no other.
 */
export function parseLine(text: string, file: string, line: number, tables: ReadonlyMap<string, CatalogTable>, dialect: Dialect): DumpLine {
  const value = parseJson(text, file, line) as { table?: unknown; row?: unknown; end?: { rows?: unknown } };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw lineError(file, line, 'expected {"table": …, "row": {…}}');
  if ('end' in value) {
    const rows = value.end?.rows;
    if (typeof rows !== 'number' || !Number.isSafeInteger(rows)) throw lineError(file, line, 'expected {"end": {"rows": N}}', 'end.rows');
    return { kind: 'end', rows };
  }
  if (typeof value.table !== 'string') throw lineError(file, line, 'expected the name of a table', 'table');
  const table = tables.get(value.table);
  if (!table) throw lineError(file, line, `no table ${JSON.stringify(value.table)} in this database`, 'table');
  const row = value.row;
  if (typeof row !== 'object' || row === null || Array.isArray(row))
    throw lineError(file, line, 'expected an object of fields', `${table.name}.row`);
  const fields = row as Record<string, unknown>;
  const known = new Set(table.columns.map((c) => c.name));
  const extra = Object.keys(fields).find((k) => !known.has(k));
  if (extra !== undefined) throw lineError(file, line, `${table.name} has no column ${extra}`, `${table.name}.${extra}`);
  const values: Record<string, unknown> = {};
  for (const column of table.columns) {
    const path = `${table.name}.${column.name}`;
    if (!(column.name in fields)) throw lineError(file, line, 'missing (every column is written, null included)', path);
    const v = fields[column.name];
    if (v === null) {
      if (!column.nullable) throw lineError(file, line, 'must not be null', path);
      values[column.name] = null;
      continue;
    }
    const problem = importProblem(column, v, dialect);
    if (problem) throw lineError(file, line, problem, path);
    values[column.name] = column.kind === 'boolean' && dialect === 'sqlite' ? (v ? 1 : 0) : v;
  }
  return { kind: 'row', table, values };
}

function importProblem(column: CatalogColumn, v: unknown, dialect: Dialect): string | undefined {
  switch (column.kind) {
    case 'text':
      if (typeof v !== 'string') return `expected text, got ${describe(v)}`;
      // PostgreSQL's text cannot hold U+0000, which SQLite's can: say so here rather than fail the batch.
      if (dialect === 'postgres' && v.includes('\u0000')) return 'contains the NUL character (U+0000), which PostgreSQL text cannot store';
      return undefined;
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v) ? undefined : `expected a whole number, got ${describe(v)}`;
    case 'real':
      return typeof v === 'number' ? undefined : `expected a number, got ${describe(v)}`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `expected true or false, got ${describe(v)}`;
  }
}

function parseJson(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw lineError(file, line, `not valid JSON (${(error as Error).message})`);
  }
}

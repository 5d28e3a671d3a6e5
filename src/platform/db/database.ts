import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kysely, type Transaction } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
/** Anything queries can run on: the database itself or an open transaction. */
export type Queryable = Kysely<Database> | Transaction<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Db;
  dialect: Dialect;
  /** Where the data lives, with any password removed: for messages and logs. */
  location: string;
  close(): Promise<void>;
}

export function dialectOf(url: string): Dialect {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
}

/**
 * Opens the database named by `url`: a file path (SQLite, the default) or a `postgres://` URL. Drivers are
 * loaded on demand so that commands which never touch one of them do not pay for loading it.
 */
export async function openDatabase(url: string): Promise<DatabaseHandle> {
  return dialectOf(url) === 'postgres' ? openPostgres(url) : openSqlite(url);
}

async function openSqlite(path: string): Promise<DatabaseHandle> {
  const [{ default: SQLite }, { SqliteDialect }] = await Promise.all([import('better-sqlite3'), import('kysely')]);
  const file = path === ':memory:' ? path : resolve(path.replace(/^sqlite:(\/\/)?/, ''));
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let sqlite: InstanceType<typeof SQLite>;
  try {
    sqlite = new SQLite(file);
    // WAL lets readers run beside the single writer; synchronous=FULL makes an acknowledged commit survive
    // a power cut, not just a process crash.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 10000');
  } catch (error) {
    throw new AppError('unavailable', `cannot open SQLite database ${file}: ${(error as Error).message}`);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', location: file, close: () => db.destroy() };
}

async function openPostgres(url: string): Promise<DatabaseHandle> {
  const [{ default: pg }, { PostgresDialect }] = await Promise.all([import('pg'), import('kysely')]);
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // A dropped connection must not take the process down; the pool replaces it on the next query.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const location = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  return { db, dialect: 'postgres', location, close: () => db.destroy() };
}

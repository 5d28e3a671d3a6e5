import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type Transaction,
} from 'kysely';
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
 * The dialect behind a Kysely instance, transaction or single connection. Migrations need it and are handed
 * only the Kysely instance; the adapter is what Kysely's own migrator consults for the same question.
 */
export function dialectOfDb(db: Kysely<unknown>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * Opens the database named by `url`: a file path (SQLite, the default) or a `postgres://` URL. Drivers are
 * loaded on demand so that commands which never touch one of them do not pay for loading it.
 */
export async function openDatabase(url: string): Promise<DatabaseHandle> {
  return dialectOf(url) === 'postgres' ? openPostgres(url) : openSqlite(url);
}

async function openSqlite(path: string): Promise<DatabaseHandle> {
  const { default: SQLite } = await import('better-sqlite3');
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
  const db = new Kysely<Database>({ dialect: new WriterSqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', location: file, close: () => db.destroy() };
}

/** Prepared statements kept per SQL text, least recently prepared dropped first past this many. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * The database as Kysely's SQLite driver sees it, with its statements prepared once per SQL text. The driver
 * prepares every statement afresh, and preparing costs more than running a short query: SQLite checks the
 * schema, which takes a lock (system calls) when no transaction is open. A statement still being iterated is
 * busy and cannot run again until it is done, so a busy one is never handed out twice.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      const known = statements.get(sql);
      if (known && !known.busy) return known;
      const statement = sqlite.prepare(sql);
      if (!known) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/**
 * Transactions that take SQLite's write lock when they begin. Ours read, then write; with a plain (deferred)
 * BEGIN a second process's transaction fails at its first write with "database is locked" instead of waiting,
 * because SQLite will not upgrade a read snapshot that another writer has since changed. BEGIN IMMEDIATE waits
 * (busy_timeout) for the lock instead, so writers from several processes queue as they do on PostgreSQL.
 */
class WriterSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new WriterSqliteDriver(this.#config);
  }
}

class WriterSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
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

/** True for a unique or primary-key violation on either database: two writers raced to create one thing. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

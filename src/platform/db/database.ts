import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
  type SqliteStatement,
  type Transaction,
} from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from './schema.js';
import { LocalSignals, PgSignals, type Signals, safetyPollFromEnv } from './signals.js';

export type Db = Kysely<Database>;
/** Anything queries can run on: the database itself or an open transaction. */
export type Queryable = Kysely<Database> | Transaction<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Db;
  dialect: Dialect;
  /** Where the data lives, with any password removed: for messages and logs. */
  location: string;
  /** How commits wake workers and watchers: in-process events (SQLite), plus LISTEN/NOTIFY (PostgreSQL). */
  signals: Signals;
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

/** The file a SQLite `--db` value names (`:memory:` as it is). */
export function sqliteFile(path: string): string {
  return path === ':memory:' ? path : resolve(path.replace(/^sqlite:(\/\/)?/, ''));
}

async function openSqlite(path: string): Promise<DatabaseHandle> {
  const { default: SQLite } = await import('better-sqlite3');
  const file = sqliteFile(path);
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
  const signals = new LocalSignals();
  return {
    db,
    dialect: 'sqlite',
    location: file,
    signals,
    close: async () => {
      await signals.close();
      await db.destroy();
    },
  };
}

/** Distinct SQL texts whose prepared statements are kept (least recently used dropped first). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * The database as Kysely sees it, with prepared statements kept per SQL text. Kysely's SQLite driver prepares
 * every statement afresh — SQLite parses and plans it each time, a tenth of a short query's cost — though the
 * same few texts run over and over. A statement still being iterated (a streamed query) is not handed out
 * twice: that call gets a fresh one. SQLite re-prepares a kept statement itself when the schema changes.
 */
function withStatementCache(sqlite: { prepare(sql: string): SqliteStatement & { busy: boolean }; close(): void }): SqliteDatabase {
  const cache = new Map<string, SqliteStatement & { busy: boolean }>();
  return {
    prepare(sql) {
      const kept = cache.get(sql);
      if (kept) {
        if (kept.busy) return sqlite.prepare(sql);
        cache.delete(sql);
        cache.set(sql, kept);
        return kept;
      }
      const statement = sqlite.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      return statement;
    },
    close() {
      cache.clear();
      sqlite.close();
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
  const safetyPollMs = safetyPollFromEnv();
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // A dropped connection must not take the process down; the pool replaces it on the next query. An idle
  // client's error reaches the pool's handler; one in use (between the statements of a transaction) emits it
  // on the client, where no listener would make it an uncaught exception. The query under way fails instead.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const location = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  const signals = new PgSignals(() => new pg.Client({ connectionString: url, keepAlive: true, connectionTimeoutMillis: 10_000 }), {
    safetyPollMs,
  });
  return {
    db,
    dialect: 'postgres',
    location,
    signals,
    close: async () => {
      await signals.close();
      await db.destroy();
    },
  };
}

/**
 * True for a failure of the connection itself (PostgreSQL restarting, a terminated backend, a refused
 * connection), as opposed to one of the statement: trying again later can succeed.
 */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^(08|57P)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  return (
    typeof e?.message === 'string' &&
    /Connection terminated|connection is not open|Client has encountered a connection error/i.test(e.message)
  );
}

/**
 * True when the database gave up on a transaction because of another one — PostgreSQL's deadlock and
 * serialization failures, SQLite's busy timeout — so the same request may succeed when tried again.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001' || code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/**
 * Rows per multi-row INSERT: rows of up to a dozen columns stay far below both databases' limit on parameters
 * per statement (SQLite 32,766, PostgreSQL 65,535).
 */
const INSERT_CHUNK = 500;

/** Calls `write` with consecutive slices of `rows` (one multi-row INSERT each), in order. */
export async function inChunks<T>(
  rows: readonly T[],
  write: (chunk: readonly T[]) => Promise<unknown>,
  size = INSERT_CHUNK,
): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await write(rows.slice(i, i + size));
}

/** True for a unique or primary-key violation on either database: two writers raced to create one thing. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

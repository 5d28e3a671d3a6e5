import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../support/databases.js';

describe('the embedded SQLite database', () => {
  let t: TestDb | undefined;
  afterEach(async () => t?.close());

  it('runs in WAL mode with synchronous=FULL, so an acknowledged write survives a power cut', async () => {
    t = await openTestDb('sqlite');
    const db = t.services.database.db;
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
    const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db);
    expect(mode.rows[0]?.journal_mode).toBe('wal');
    expect(sync.rows[0]?.synchronous).toBe(2); // 2 = FULL
    expect(fk.rows[0]?.foreign_keys).toBe(1);
  });
});

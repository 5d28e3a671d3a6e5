import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDatabaseUrl } from '../../../test/support/databases.js';
import { eventually } from '../../../test/support/plans.js';
import { type DatabaseHandle, openDatabase } from './database.js';
import { type Signal, safetyPollFromEnv } from './signals.js';

const PG = Boolean(process.env.RAILYARD_TEST_POSTGRES_URL);

describe('safety poll setting', () => {
  it('defaults to 5 s and reads RAILYARD_SAFETY_POLL as a duration', () => {
    expect(safetyPollFromEnv({})).toBe(5_000);
    expect(safetyPollFromEnv({ RAILYARD_SAFETY_POLL: '10s' })).toBe(10_000);
    expect(safetyPollFromEnv({ RAILYARD_SAFETY_POLL: '750ms' })).toBe(750);
    expect(safetyPollFromEnv({ RAILYARD_SAFETY_POLL: '1m' })).toBe(60_000);
  });

  it('refuses what is not a duration, naming the variable', () => {
    for (const bad of ['5', 'soon', '10ms', '2h']) {
      expect(() => safetyPollFromEnv({ RAILYARD_SAFETY_POLL: bad })).toThrow(
        `RAILYARD_SAFETY_POLL: '${bad}' is not a duration from 50ms to 1h: write e.g. 5s or 500ms`,
      );
    }
  });
});

describe('SQLite: signals stay in the process', () => {
  it('emits to listeners in the process, publishes nothing, and keeps the waiters own poll', async () => {
    const { url, drop } = await freshDatabaseUrl('sqlite');
    const db = await openDatabase(url);
    try {
      const seen: Signal[] = [];
      const off = db.signals.on((s) => seen.push(s));
      await db.db.transaction().execute((trx) => db.signals.publish(trx, { work: true, runs: ['r1'] }));
      expect(seen).toEqual([]);
      db.signals.emit({ runs: ['r1'] });
      off();
      db.signals.emit({ runs: ['r2'] });
      expect(seen).toEqual([{ runs: ['r1'] }]);
      expect(db.signals.safetyPollMs).toBeUndefined();
    } finally {
      await db.close();
      await drop();
    }
  });
});

describe.skipIf(!PG)('PostgreSQL: signals reach other processes through LISTEN/NOTIFY', () => {
  const open: DatabaseHandle[] = [];
  let drop: (() => Promise<void>) | undefined;

  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
    await drop?.();
  });

  /** Two handles on one fresh database, as two processes would have; `b` listens (and is ready to hear). */
  async function twoProcesses() {
    const fresh = await freshDatabaseUrl('postgres');
    drop = fresh.drop;
    const a = await openDatabase(fresh.url);
    const b = await openDatabase(fresh.url);
    open.push(a, b);
    const heard: Signal[] = [];
    b.signals.on((s) => heard.push(s));
    // The first thing a new listener hears is the catch-up: anything may have changed before it listened.
    await eventually(async () => heard.some((s) => s.all), 'the listening connection');
    heard.splice(0);
    return { a, b, heard };
  }

  it('delivers what a transaction published when it commits, and nothing when it rolls back', async () => {
    const { a, heard } = await twoProcesses();
    await a.db
      .transaction()
      .execute(async (trx) => {
        await a.signals.publish(trx, { work: true, runs: ['rolled-back'] });
        throw new Error('roll back');
      })
      .catch(() => {});
    await a.db.transaction().execute(async (trx) => {
      await a.signals.publish(trx, { runs: ['r1', 'r2'] });
      // Not before the commit.
      await new Promise((r) => setTimeout(r, 100));
      expect(heard).toEqual([]);
    });
    await eventually(async () => heard.length > 0, 'the notification');
    expect(heard).toEqual([{ work: false, runs: ['r1', 'r2'] }]);
  });

  it("does not echo a process's own signals (it emitted them itself after the commit)", async () => {
    const { a, b, heard } = await twoProcesses();
    await b.db.transaction().execute((trx) => b.signals.publish(trx, { work: true, runs: ['own'] }));
    await a.db.transaction().execute((trx) => a.signals.publish(trx, { work: true, runs: ['other'] }));
    await eventually(async () => heard.length > 0, 'the notification');
    await new Promise((r) => setTimeout(r, 200));
    expect(heard).toEqual([{ work: true, runs: ['other'] }]);
  });

  it('splits many run ids over notifications PostgreSQL accepts', async () => {
    const { a, heard } = await twoProcesses();
    const ids = Array.from({ length: 1000 }, (_, i) => `01JRUN${String(i).padStart(20, '0')}`);
    await a.db.transaction().execute((trx) => a.signals.publish(trx, { work: true, runs: ids }));
    await eventually(async () => heard.flatMap((s) => s.runs ?? []).length === ids.length, 'every run id');
    expect(heard.length).toBeGreaterThan(1);
    expect(heard.flatMap((s) => s.runs)).toEqual(ids);
  });

  it('listens again after its connection is cut, and says that anything may have changed meanwhile', async () => {
    const { a, heard } = await twoProcesses();
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((line: string) => lines.push(line) > 0) as typeof process.stderr.write;
    try {
      // b's listening connection is the one that waits on LISTEN.
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen %'`.execute(
        a.db,
      );
      await eventually(async () => heard.some((s) => s.all), 'the catch-up after reconnecting');
      heard.splice(0);
      await a.db.transaction().execute((trx) => a.signals.publish(trx, { runs: ['after'] }));
      await eventually(async () => heard.length > 0, 'a notification on the new connection');
      expect(heard).toEqual([{ work: false, runs: ['after'] }]);
    } finally {
      process.stderr.write = write;
    }
    expect(lines).toEqual(['signals: lost the connection listening for changes; reconnecting\n', 'signals: listening for changes again\n']);
  });
});

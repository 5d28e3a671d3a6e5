import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { removeDatabase } from './seed.js';

/**
 * The physical limit of a durable step transition on this machine: one process, a file database in WAL mode
 * with synchronous=FULL (every commit is fsynced), and per cycle two commits — an UPDATE … RETURNING that
 * claims one ready row with a fencing token, then an UPDATE that completes it if the token still matches.
 * better-sqlite3 directly, statements prepared once: no ORM, no audit, nothing else.
 */
export function sqliteCycles(file: string, seconds: number): { cycles: number; perSecond: number; commitMs: number[] } {
  removeDatabase(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`create table jobs (
      id integer primary key, status text not null, token integer not null default 0,
      owner text, available_at text not null, updated_at text)`);
    db.exec('create index jobs_claim_idx on jobs (status, available_at)');
    const rows = 200_000;
    const insert = db.prepare(`insert into jobs (status, available_at) values ('ready', ?)`);
    db.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run('2026-01-01T00:00:00.000Z');
    })();
    const claim = db.prepare(`update jobs set status = 'running', token = token + 1, owner = ?, updated_at = ?
      where id = (select id from jobs where status = 'ready' and available_at <= ? order by available_at, id limit 1)
      returning id, token`);
    const complete = db.prepare(
      `update jobs set status = 'done', owner = null, updated_at = ? where id = ? and token = ? and status = 'running'`,
    );
    let commitMs: number[] | undefined;
    const warmUntil = performance.now() + 300;
    while (performance.now() < warmUntil) cycle();
    let cycles = 0;
    commitMs = [];
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) {
      cycle();
      cycles++;
    }
    return { cycles, perSecond: cycles / ((performance.now() - start) / 1000), commitMs };

    function cycle() {
      const now = new Date().toISOString();
      const row = claim.get('anchor', now, now) as { id: number; token: number } | undefined;
      if (!row) throw new Error('the anchor ran out of ready rows');
      const before = performance.now();
      const r = complete.run(new Date().toISOString(), row.id, row.token);
      commitMs?.push(performance.now() - before);
      if (r.changes !== 1) throw new Error('the anchor lost a row it claimed');
    }
  } finally {
    db.close();
    removeDatabase(file);
  }
}

/**
 * One durable commit (an autocommit UPDATE of one row: one WAL fsync) on its own file, timed, for sampling what
 * a commit costs at the moment — beside measurements that contain commits, taken between them.
 */
export class CommitProbe {
  private readonly db: Database.Database;
  private readonly update: Database.Statement;

  constructor(private readonly file: string) {
    removeDatabase(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec('create table probe (id integer primary key, n integer not null)');
    this.db.exec('insert into probe (id, n) values (1, 0)');
    this.update = this.db.prepare('update probe set n = n + 1 where id = 1');
  }

  /** Milliseconds one commit took. */
  sample(): number {
    const start = performance.now();
    this.update.run();
    return performance.now() - start;
  }

  close(): void {
    this.db.close();
    removeDatabase(this.file);
  }
}

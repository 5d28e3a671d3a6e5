import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/databases.js';
import { createWorker } from './worker-service.js';

let t: TestDb;
beforeEach(async () => {
  t = await openTestDb('sqlite');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await t.close();
});

it('a worker started while another process holds the write lock waits for it, says so, and then starts', async () => {
  // Another process is stopped inside a write transaction (SIGSTOP, a debugger): it keeps SQLite's write lock
  // for longer than the busy timeout, which this connection shortens so that the test need not wait 10 s.
  await sql`pragma busy_timeout = 50`.execute(t.services.database.db);
  const holder = new Database(t.url);
  holder.exec('begin immediate');
  const stderr: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  const worker = createWorker(t.services, { pollMs: 50 });
  let started = false;
  const starting = worker.start().then(() => {
    started = true;
  });
  await vi.waitFor(() => expect(stderr.join('')).toContain('database is locked (retrying)'), { timeout: 5_000 });
  expect(started).toBe(false);

  holder.exec('rollback');
  holder.close();
  await starting;
  expect(stderr.join('')).toContain(`worker ${worker.id}: the database answers again`);
  const row = await t.services.database.db.selectFrom('workers').select('id').where('id', '=', worker.id).executeTakeFirst();
  expect(row?.id).toBe(worker.id);
  await worker.stop();
});

import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { systemClock } from '../../platform/clock.js';
import { AuditLog, AuditService } from './audit-service.js';
import { readHead } from './audit-store.js';

const log = new AuditLog({ clock: systemClock });

/** A fresh database for each test of the suite. */
function freshDatabaseEach(dialect: 'sqlite' | 'postgres') {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb(dialect);
  });
  afterEach(async () => t.close());
  return { db: () => t.services.database.db };
}

const input = (n: number) => ({ actor: 'alice', action: 'test.happened', subjectType: 'test', subjectId: `t${n}`, after: { n } });

describe.each(DIALECTS)('writing audit events at the end of a transaction that took the chain’s lock first (%s)', (dialect) => {
  const { db: database } = freshDatabaseEach(dialect);

  it('continues the chain from the head it read, in one or several chunks, and the chain verifies', async () => {
    const before = await readHead(database());
    for (const count of [3, 1_201]) {
      await database()
        .transaction()
        .execute(async (trx) => {
          const held = await log.lock(trx);
          if (dialect === 'sqlite') expect(held).toBeNull();
          else expect(held).toEqual(await readHead(trx));
          await log.recordAll(
            trx,
            Array.from({ length: count }, (_, i) => input(i)),
            { held },
          );
        });
    }
    const head = await readHead(database());
    expect(head.seq).toBe(before.seq + 3 + 1_201);
    const verified = await new AuditService({ db: database() }).verify();
    expect(verified).toMatchObject({ ok: true, events: head.seq, headHash: head.hash });
  });
});

// PostgreSQL only: there a held head is read with the lock (SQLite's lock returns none, and its writer holds the
// whole database), so only there can a head move between the read and the write.
describe.each(DIALECTS.filter((d) => d === 'postgres'))('a held head that moved (%s)', (dialect) => {
  const { db: database } = freshDatabaseEach(dialect);

  it('refuses to move a head that is no longer where the held events began, and writes none of them', async () => {
    const db = database();
    await log.recordAll(db, [input(0)]);
    const before = await readHead(db);
    const write = db.transaction().execute(async (trx) => {
      const held = await log.lock(trx);
      // Something in this very transaction moved the head past what was read: the write must not fork the chain
      // (the events' sequence numbers are taken already, or the head is not where they began).
      await log.record(trx, input(1));
      await log.recordAll(trx, [input(2), input(3)], {
        held,
        also: [sql`pg_notify('railyard_test', 'x')`],
      });
    });
    await expect(write).rejects.toThrow(/audit_events_pkey|audit chain's head moved/);
    expect(await readHead(db)).toEqual(before);
    expect((await new AuditService({ db }).verify()).ok).toBe(true);
  });
});

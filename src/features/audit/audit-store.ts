import { type Expression, sql } from 'kysely';
import { dialectOfDb, inChunks, type Queryable } from '../../platform/db/database.js';
import type { AuditRow } from '../../platform/db/schema.js';
import type { AuditRecord } from './audit.js';

export function toRecord(row: AuditRow): AuditRecord {
  return {
    seq: Number(row.seq),
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    before: row.before_state,
    after: row.after_state,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Takes the next `count` sequence numbers (the first is returned) and the hash the first of them points back
 * to; the row lock this takes serialises chain writers until commit.
 */
export async function advanceHead(db: Queryable, count = 1): Promise<{ seq: number; prevHash: string }> {
  const head = await db
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', count) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  return { seq: Number(head.seq) - count + 1, prevHash: head.hash };
}

/** The chain's head as the transaction holding its row lock read it: where that transaction's events go on. */
export interface HeldHead {
  seq: number;
  hash: string;
}

/**
 * Takes the chain's row lock now without advancing it, for a transaction that writes its events at its end
 * but must take the lock where it would have written its first one (so writers keep one lock order), and
 * reads the head: what it holds cannot change before that transaction writes. SQLite needs nothing (its write
 * transactions begin holding the only lock there is) and returns null.
 */
export async function lockHead(db: Queryable): Promise<HeldHead | null> {
  if (dialectOfDb(db as never) !== 'postgres') return null;
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).forUpdate().executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}

export interface InsertOptions {
  /** The head read by lockHead in this transaction: the events continue it and the head is moved past them. */
  held?: HeldHead | null;
  /**
   * PostgreSQL only: expressions evaluated once by the statement that writes the last events, such as the
   * transaction's `pg_notify` calls (a round trip fewer).
   */
  also?: readonly Expression<unknown>[];
}

const eventRow = (e: AuditRecord) => ({
  seq: e.seq,
  id: e.id,
  at: e.at,
  actor: e.actor,
  action: e.action,
  subject_type: e.subjectType,
  subject_id: e.subjectId,
  before_state: e.before,
  after_state: e.after,
  prev_hash: e.prevHash,
  hash: e.hash,
});

/**
 * Appends events (consecutive, each pointing back to the one before) and moves the head to the last. The
 * head already counts them (advanceHead) unless `held` says where it stood. On PostgreSQL the last rows and
 * the head are written by one statement, which refuses to move a head that is not where these events began.
 */
export async function insertEvents(db: Queryable, events: readonly AuditRecord[], options: InsertOptions = {}): Promise<void> {
  const last = events.at(-1);
  if (!last) return;
  const { held, also = [] } = options;
  const postgres = dialectOfDb(db as never) === 'postgres';
  if (!postgres && (held || also.length > 0)) throw new Error('insertEvents: a held head and extra expressions are for PostgreSQL');
  // On PostgreSQL the last chunk goes in with the head (and `also`); every other chunk is a plain insert.
  const moveHeadWith = async (rows: readonly AuditRecord[]) => {
    const moved = await db
      .with('ins', (d) => d.insertInto('audit_events').values(rows.map(eventRow)))
      .with('head', (d) =>
        d
          .updateTable('audit_head')
          .set(held ? { seq: last.seq, hash: last.hash } : { hash: last.hash })
          .where('id', '=', 1)
          .where('seq', '=', held ? held.seq : last.seq)
          .returning('seq'),
      )
      .selectFrom('head')
      .select([sql<number>`1`.as('moved'), ...also.map((e, i) => sql`${e}`.as(`also_${i}`))])
      .execute();
    if (moved.length !== 1)
      throw new Error(`the audit chain's head moved under a transaction that held it (events from ${events[0]?.seq})`);
  };
  await inChunks(events, (chunk) =>
    postgres && chunk.at(-1) === last ? moveHeadWith(chunk) : db.insertInto('audit_events').values(chunk.map(eventRow)).execute(),
  );
  if (!postgres) await db.updateTable('audit_head').set({ hash: last.hash }).where('id', '=', 1).execute();
}

export async function readHead(db: Queryable): Promise<{ seq: number; hash: string }> {
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}

export async function readBatch(db: Queryable, afterSeq: number, limit: number): Promise<AuditRecord[]> {
  const rows = await db.selectFrom('audit_events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  return rows.map(toRecord);
}

export interface AuditQuery {
  subjectType?: string;
  subjectId?: string;
  actor?: string;
  beforeSeq?: number;
  limit: number;
}

export async function listEvents(db: Queryable, q: AuditQuery): Promise<AuditRecord[]> {
  let query = db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(q.limit);
  if (q.subjectType) query = query.where('subject_type', '=', q.subjectType);
  if (q.subjectId) query = query.where('subject_id', '=', q.subjectId);
  if (q.actor) query = query.where('actor', '=', q.actor);
  if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
  return (await query.execute()).map(toRecord);
}

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

/**
 * Takes the chain's row lock now without advancing it, for a transaction that writes its events at its end
 * but must take the lock where it would have written its first one (so writers keep one lock order).
 * SQLite needs nothing: its write transactions begin holding the only lock there is.
 */
export async function lockHead(db: Queryable): Promise<void> {
  if (dialectOfDb(db as never) !== 'postgres') return;
  await db.selectFrom('audit_head').select('seq').where('id', '=', 1).forUpdate().execute();
}

/** Appends events (consecutive, each pointing back to the one before) and moves the head's hash to the last. */
export async function insertEvents(db: Queryable, events: readonly AuditRecord[]): Promise<void> {
  const last = events.at(-1);
  if (!last) return;
  await inChunks(events, (chunk) =>
    db
      .insertInto('audit_events')
      .values(
        chunk.map((e) => ({
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
        })),
      )
      .execute(),
  );
  await db.updateTable('audit_head').set({ hash: last.hash }).where('id', '=', 1).execute();
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

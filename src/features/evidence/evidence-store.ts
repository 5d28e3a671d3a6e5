import type { Queryable } from '../../platform/db/database.js';
import { formatRef } from '../releases/release.js';
import type { Evidence, EvidenceKind, Facts } from './evidence.js';

function evidenceQuery(db: Queryable) {
  return db
    .selectFrom('evidence as ev')
    .innerJoin('releases as r', 'r.id', 'ev.release_id')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .select([
      'ev.id',
      'p.key as product',
      'r.version',
      'ev.kind',
      'ev.source',
      'ev.facts',
      'ev.digest',
      'ev.actor',
      'ev.created_at',
      'ev.superseded_at',
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof evidenceQuery>['executeTakeFirstOrThrow']>>;

function toEvidence(r: Row): Evidence {
  return {
    id: r.id,
    release: formatRef(r.product, r.version),
    kind: r.kind as EvidenceKind,
    source: r.source,
    facts: JSON.parse(r.facts) as Facts,
    digest: r.digest,
    actor: r.actor,
    createdAt: r.created_at,
    supersededAt: r.superseded_at,
  };
}

/** The current evidence of a release (one per kind and source), or its whole history, newest first. */
export async function listEvidence(db: Queryable, releaseId: string, history = false): Promise<Evidence[]> {
  let q = evidenceQuery(db).where('ev.release_id', '=', releaseId).orderBy('ev.id', 'desc');
  if (!history) q = q.where('ev.superseded_at', 'is', null);
  return (await q.execute()).map(toEvidence);
}

export async function currentEvidenceFor(db: Queryable, releaseId: string, kind: string, source: string): Promise<Evidence | undefined> {
  const row = await evidenceQuery(db)
    .where('ev.release_id', '=', releaseId)
    .where('ev.kind', '=', kind)
    .where('ev.source', '=', source)
    .where('ev.superseded_at', 'is', null)
    .executeTakeFirst();
  return row ? toEvidence(row) : undefined;
}

export async function supersedeEvidence(db: Queryable, id: string, at: string): Promise<void> {
  await db.updateTable('evidence').set({ superseded_at: at }).where('id', '=', id).execute();
}

export async function insertEvidence(
  db: Queryable,
  e: { id: string; releaseId: string; kind: string; source: string; facts: Facts; digest: string; actor: string; createdAt: string },
): Promise<void> {
  await db
    .insertInto('evidence')
    .values({
      id: e.id,
      release_id: e.releaseId,
      kind: e.kind,
      source: e.source,
      facts: JSON.stringify(e.facts),
      digest: e.digest,
      actor: e.actor,
      created_at: e.createdAt,
      superseded_at: null,
    })
    .execute();
}

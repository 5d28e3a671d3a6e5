import type { Queryable } from '../../platform/db/database.js';
import type { ChecklistItem, Decision, DecisionRule, ReviewStatus, ReviewVote, VoteValue } from './review.js';

export interface ReviewRow {
  id: string;
  releaseId: string;
  kind: string;
  status: ReviewStatus;
  rule: DecisionRule;
  checklist: ChecklistItem[];
  decision: Decision | null;
  minutes: string;
  openedBy: string;
  openedAt: string;
  decidedAt: string | null;
}

type Row = {
  id: string;
  release_id: string;
  kind: string;
  status: string;
  rule: string;
  checklist: string;
  decision: string | null;
  minutes: string;
  opened_by: string;
  opened_at: string;
  decided_at: string | null;
};

const COLUMNS = [
  'id',
  'release_id',
  'kind',
  'status',
  'rule',
  'checklist',
  'decision',
  'minutes',
  'opened_by',
  'opened_at',
  'decided_at',
] as const;

function toReview(r: Row): ReviewRow {
  return {
    id: r.id,
    releaseId: r.release_id,
    kind: r.kind,
    status: r.status as ReviewStatus,
    rule: JSON.parse(r.rule) as DecisionRule,
    checklist: JSON.parse(r.checklist) as ChecklistItem[],
    decision: r.decision as Decision | null,
    minutes: r.minutes,
    openedBy: r.opened_by,
    openedAt: r.opened_at,
    decidedAt: r.decided_at,
  };
}

export async function insertReview(db: Queryable, r: ReviewRow): Promise<void> {
  await db
    .insertInto('reviews')
    .values({
      id: r.id,
      release_id: r.releaseId,
      kind: r.kind,
      status: r.status,
      template: r.rule.template,
      rule: JSON.stringify(r.rule),
      checklist: JSON.stringify(r.checklist),
      decision: r.decision,
      minutes: r.minutes,
      opened_by: r.openedBy,
      opened_at: r.openedAt,
      decided_at: r.decidedAt,
    })
    .execute();
}

/** The newest review of a kind for a release (an earlier one is superseded when a new one opens). */
export async function latestReview(db: Queryable, releaseId: string, kind: string): Promise<ReviewRow | undefined> {
  const row = await db
    .selectFrom('reviews')
    .select(COLUMNS)
    .where('release_id', '=', releaseId)
    .where('kind', '=', kind)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toReview(row) : undefined;
}

export async function listReviews(db: Queryable, releaseId: string): Promise<ReviewRow[]> {
  const rows = await db.selectFrom('reviews').select(COLUMNS).where('release_id', '=', releaseId).orderBy('id').execute();
  return rows.map(toReview);
}

export async function updateChecklist(db: Queryable, id: string, checklist: ChecklistItem[]): Promise<void> {
  await db
    .updateTable('reviews')
    .set({ checklist: JSON.stringify(checklist) })
    .where('id', '=', id)
    .execute();
}

export async function recordDecision(db: Queryable, id: string, decision: Decision, minutes: string, at: string): Promise<number> {
  const r = await db
    .updateTable('reviews')
    .set({ status: 'decided', decision, minutes, decided_at: at })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function listVotes(db: Queryable, reviewIds: readonly string[]): Promise<Map<string, Omit<ReviewVote, 'counted'>[]>> {
  const out = new Map<string, Omit<ReviewVote, 'counted'>[]>();
  if (reviewIds.length === 0) return out;
  const rows = await db
    .selectFrom('review_votes')
    .select(['review_id', 'voter', 'vote', 'role', 'comment', 'at'])
    .where('review_id', 'in', reviewIds)
    .orderBy('at')
    .orderBy('voter')
    .execute();
  for (const r of rows) {
    const list = out.get(r.review_id) ?? [];
    list.push({ voter: r.voter, vote: r.vote as VoteValue, role: r.role, comment: r.comment, at: r.at });
    out.set(r.review_id, list);
  }
  return out;
}

/** One vote per person and review: voting again replaces the earlier vote. */
export async function upsertVote(
  db: Queryable,
  reviewId: string,
  v: { voter: string; vote: VoteValue; role: string | null; comment: string; at: string },
): Promise<void> {
  await db
    .insertInto('review_votes')
    .values({ review_id: reviewId, voter: v.voter, vote: v.vote, role: v.role, comment: v.comment, at: v.at })
    .onConflict((oc) => oc.columns(['review_id', 'voter']).doUpdateSet({ vote: v.vote, role: v.role, comment: v.comment, at: v.at }))
    .execute();
}

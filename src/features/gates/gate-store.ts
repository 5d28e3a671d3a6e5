import type { Queryable } from '../../platform/db/database.js';
import { formatRef } from '../releases/release.js';
import type { Approval } from './approval.js';

export async function listApprovals(db: Queryable, releaseId: string, environmentId: string): Promise<Approval[]> {
  const rows = await db
    .selectFrom('approvals as a')
    .innerJoin('releases as r', 'r.id', 'a.release_id')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .innerJoin('environments as e', 'e.id', 'a.environment_id')
    .select([
      'a.id',
      'p.key as product',
      'r.version',
      'e.key as environment',
      'a.approver',
      'a.role',
      'a.comment',
      'a.digest',
      'a.created_at',
    ])
    .where('a.release_id', '=', releaseId)
    .where('a.environment_id', '=', environmentId)
    .where('a.revoked_at', 'is', null)
    .orderBy('a.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    release: formatRef(r.product, r.version),
    environment: r.environment,
    approver: r.approver,
    role: r.role,
    comment: r.comment,
    digest: r.digest,
    createdAt: r.created_at,
  }));
}

export async function insertApproval(
  db: Queryable,
  a: {
    id: string;
    releaseId: string;
    environmentId: string;
    approver: string;
    role: string | null;
    comment: string;
    digest: string;
    at: string;
  },
): Promise<void> {
  await db
    .insertInto('approvals')
    .values({
      id: a.id,
      release_id: a.releaseId,
      environment_id: a.environmentId,
      approver: a.approver,
      role: a.role,
      comment: a.comment,
      digest: a.digest,
      created_at: a.at,
      revoked_at: null,
    })
    .execute();
}

/** A person's earlier approvals of the same release for the same environment: replaced by a new one. */
export async function revokeApprovalsBy(
  db: Queryable,
  releaseId: string,
  environmentId: string,
  approver: string,
  at: string,
): Promise<number> {
  const r = await db
    .updateTable('approvals')
    .set({ revoked_at: at })
    .where('release_id', '=', releaseId)
    .where('environment_id', '=', environmentId)
    .where('approver', '=', approver)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** When the release first reached each environment successfully. */
export async function firstArrivals(db: Queryable, releaseId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('deployments as d')
    .innerJoin('environments as e', 'e.id', 'd.environment_id')
    .select(['e.key', (eb) => eb.fn.min('d.finished_at').as('at')])
    .where('d.release_id', '=', releaseId)
    .where('d.status', '=', 'succeeded')
    .groupBy('e.key')
    .execute();
  return new Map(rows.filter((r) => r.at !== null).map((r) => [r.key, String(r.at)]));
}

export async function openRisks(db: Queryable, releaseId: string): Promise<{ title: string; blocker: boolean }[]> {
  const rows = await db
    .selectFrom('risks')
    .select(['title', 'blocker'])
    .where('release_id', '=', releaseId)
    .where('status', '=', 'open')
    .execute();
  return rows.map((r) => ({ title: r.title, blocker: Number(r.blocker) === 1 }));
}

/** The newest review of each kind for a release. */
export async function latestReviews(
  db: Queryable,
  releaseId: string,
): Promise<Record<string, { decision: string | null; status: string }>> {
  const rows = await db
    .selectFrom('reviews')
    .select(['kind', 'status', 'decision'])
    .where('release_id', '=', releaseId)
    .orderBy('id')
    .execute();
  const out: Record<string, { decision: string | null; status: string }> = {};
  for (const r of rows) out[r.kind] = { decision: r.decision, status: r.status };
  return out;
}

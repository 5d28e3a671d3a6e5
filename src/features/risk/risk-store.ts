import { sql } from 'kysely';
import type { Queryable } from '../../platform/db/database.js';
import { formatRef } from '../releases/release.js';
import type { RiskItem, RiskStatus } from './risk.js';

function registerQuery(db: Queryable) {
  return db
    .selectFrom('risks as k')
    .innerJoin('releases as r', 'r.id', 'k.release_id')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .select([
      'k.id',
      'p.key as product',
      'r.version',
      'k.title',
      'k.likelihood',
      'k.impact',
      'k.owner',
      'k.mitigation',
      'k.status',
      'k.blocker',
      'k.created_at',
      'k.updated_at',
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof registerQuery>['executeTakeFirstOrThrow']>>;

function toItem(r: Row): RiskItem {
  const likelihood = Number(r.likelihood);
  const impact = Number(r.impact);
  return {
    id: r.id,
    release: formatRef(r.product, r.version),
    title: r.title,
    likelihood,
    impact,
    severity: likelihood * impact,
    owner: r.owner,
    mitigation: r.mitigation,
    status: r.status as RiskStatus,
    blocker: Number(r.blocker) === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function listRegister(db: Queryable, releaseId: string): Promise<RiskItem[]> {
  return (await registerQuery(db).where('k.release_id', '=', releaseId).orderBy('k.id').execute()).map(toItem);
}

export async function findRisk(db: Queryable, id: string): Promise<(RiskItem & { releaseId: string }) | undefined> {
  const row = await registerQuery(db).select('k.release_id').where('k.id', '=', id).executeTakeFirst();
  return row ? { ...toItem(row), releaseId: row.release_id } : undefined;
}

export async function insertRisk(db: Queryable, releaseId: string, k: RiskItem): Promise<void> {
  await db
    .insertInto('risks')
    .values({
      id: k.id,
      release_id: releaseId,
      title: k.title,
      likelihood: k.likelihood,
      impact: k.impact,
      owner: k.owner,
      mitigation: k.mitigation,
      status: k.status,
      blocker: k.blocker ? 1 : 0,
      created_at: k.createdAt,
      updated_at: k.updatedAt,
    })
    .execute();
}

export async function updateRisk(db: Queryable, k: RiskItem): Promise<void> {
  await db
    .updateTable('risks')
    .set({
      title: k.title,
      likelihood: k.likelihood,
      impact: k.impact,
      owner: k.owner,
      mitigation: k.mitigation,
      status: k.status,
      blocker: k.blocker ? 1 : 0,
      updated_at: k.updatedAt,
    })
    .where('id', '=', k.id)
    .execute();
}

export interface ReleaseRiskRow {
  id: string;
  productId: string;
  product: string;
  version: string;
  status: string;
  createdAt: string;
  releasedAt: string | null;
}

/** Releases to score (one, or every one not cancelled), with what the score needs of each, in a few queries. */
export async function riskRows(db: Queryable, releaseId?: string): Promise<ReleaseRiskRow[]> {
  let q = db
    .selectFrom('releases as r')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .select(['r.id', 'r.product_id', 'p.key as product', 'r.version', 'r.status', 'r.created_at', 'r.released_at']);
  if (releaseId) q = q.where('r.id', '=', releaseId);
  return (await q.execute()).map((r) => ({
    id: r.id,
    productId: r.product_id,
    product: r.product,
    version: r.version,
    status: r.status,
    createdAt: r.created_at,
    releasedAt: r.released_at,
  }));
}

/** Changes per release: all, breaking, and dependency updates. */
export async function changeCounts(
  db: Queryable,
  releaseId?: string,
): Promise<Map<string, { total: number; breaking: number; dependency: number }>> {
  let q = db
    .selectFrom('changes')
    .select([
      'release_id',
      (eb) => eb.fn.countAll<string | number>().as('total'),
      sql<string | number>`sum(breaking)`.as('breaking'),
      sql<string | number>`sum(case when kind = 'dependency' or type = 'deps' then 1 else 0 end)`.as('dependency'),
    ])
    .groupBy('release_id');
  if (releaseId) q = q.where('release_id', '=', releaseId);
  const rows = await q.execute();
  return new Map(
    rows.map((r) => [r.release_id, { total: Number(r.total), breaking: Number(r.breaking ?? 0), dependency: Number(r.dependency ?? 0) }]),
  );
}

/** Deployments per product finished since `since`, and how many failed or were rolled back. */
export async function deploymentHistory(
  db: Queryable,
  since: string,
  productId?: string,
): Promise<Map<string, { total: number; failed: number }>> {
  let q = db
    .selectFrom('deployments')
    .select([
      'product_id',
      (eb) => eb.fn.countAll<string | number>().as('total'),
      sql<string | number>`sum(case when status in ('failed', 'rolled_back') then 1 else 0 end)`.as('failed'),
    ])
    .where('finished_at', '>=', since)
    .groupBy('product_id');
  if (productId) q = q.where('product_id', '=', productId);
  const rows = await q.execute();
  return new Map(rows.map((r) => [r.product_id, { total: Number(r.total), failed: Number(r.failed ?? 0) }]));
}

/** When each product's releases shipped (released_at), oldest first. */
export async function releaseTimes(db: Queryable, productId?: string): Promise<Map<string, string[]>> {
  let q = db.selectFrom('releases').select(['product_id', 'released_at']).where('released_at', 'is not', null).orderBy('released_at');
  if (productId) q = q.where('product_id', '=', productId);
  const out = new Map<string, string[]>();
  for (const r of await q.execute()) {
    const list = out.get(r.product_id) ?? [];
    list.push(r.released_at as string);
    out.set(r.product_id, list);
  }
  return out;
}

/** Current evidence facts by release and kind. */
export async function currentEvidenceFacts(
  db: Queryable,
  releaseId?: string,
): Promise<Map<string, { kind: string; facts: string; createdAt: string }[]>> {
  let q = db.selectFrom('evidence').select(['release_id', 'kind', 'facts', 'created_at']).where('superseded_at', 'is', null);
  if (releaseId) q = q.where('release_id', '=', releaseId);
  const out = new Map<string, { kind: string; facts: string; createdAt: string }[]>();
  for (const r of await q.execute()) {
    const list = out.get(r.release_id) ?? [];
    list.push({ kind: r.kind, facts: r.facts, createdAt: r.created_at });
    out.set(r.release_id, list);
  }
  return out;
}

import { inChunks, type Queryable } from '../../platform/db/database.js';
import type { NewRelease } from '../../platform/db/schema.js';
import type { Change, ChangeKind, ChangeType } from './change.js';
import { formatRef, type Release, type ReleaseStatus } from './release.js';

export interface ReleaseQuery {
  product?: string;
  status?: ReleaseStatus;
  train?: string;
  /** Return releases older than this release id (the cursor of the previous page). */
  before?: string;
  limit: number;
}

function releaseQuery(db: Queryable) {
  return db
    .selectFrom('releases as r')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .leftJoin('trains as t', 't.id', 'r.train_id')
    .select([
      'r.id',
      'p.key as product',
      'r.version',
      'r.title',
      'r.status',
      'r.target_date',
      'r.author',
      't.key as train',
      'r.notes',
      'r.created_at',
      'r.updated_at',
      'r.released_at',
    ]);
}

type ReleaseSelection = Awaited<ReturnType<ReturnType<typeof releaseQuery>['executeTakeFirstOrThrow']>>;

function toRelease(r: ReleaseSelection): Release {
  return {
    id: r.id,
    product: r.product,
    version: r.version,
    ref: formatRef(r.product, r.version),
    title: r.title,
    status: r.status as ReleaseStatus,
    targetDate: r.target_date,
    author: r.author,
    train: r.train,
    notes: r.notes,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    releasedAt: r.released_at,
  };
}

export async function insertRelease(db: Queryable, values: NewRelease): Promise<void> {
  await db.insertInto('releases').values(values).execute();
}

export async function findRelease(db: Queryable, product: string, version: string): Promise<Release | undefined> {
  const row = await releaseQuery(db).where('p.key', '=', product).where('r.version', '=', version).executeTakeFirst();
  return row ? toRelease(row) : undefined;
}

/** Newest first, keyset-paginated on the time-ordered id so deep pages cost the same as the first. */
export async function listReleases(db: Queryable, q: ReleaseQuery): Promise<Release[]> {
  let query = releaseQuery(db).orderBy('r.id', 'desc').limit(q.limit);
  if (q.product) query = query.where('p.key', '=', q.product);
  if (q.status) query = query.where('r.status', '=', q.status);
  if (q.train) query = query.where('t.key', '=', q.train);
  if (q.before) query = query.where('r.id', '<', q.before);
  return (await query.execute()).map(toRelease);
}

export async function updateReleaseStatus(db: Queryable, id: string, status: ReleaseStatus, now: string): Promise<void> {
  await db
    .updateTable('releases')
    .set({ status, updated_at: now, ...(status === 'released' ? { released_at: now } : {}) })
    .where('id', '=', id)
    .execute();
}

/** Releases of `ids` still planned are now in progress: their first promotion started. */
export async function startReleases(db: Queryable, ids: readonly string[], now: string): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('releases')
    .set({ status: 'in_progress', updated_at: now })
    .where('id', 'in', [...ids])
    .where('status', '=', 'planned')
    .execute();
}

export async function insertChanges(db: Queryable, releaseId: string, changes: Change[]): Promise<void> {
  await inChunks(
    changes,
    (chunk) =>
      db
        .insertInto('changes')
        .values(
          chunk.map((c) => ({
            id: c.id,
            release_id: releaseId,
            kind: c.kind,
            type: c.type,
            ref: c.ref,
            title: c.title,
            author: c.author,
            link: c.link,
            breaking: c.breaking ? 1 : 0,
            after_freeze: c.afterFreeze ? 1 : 0,
            created_at: c.createdAt,
          })),
        )
        .execute(),
    200,
  );
}

export async function listChanges(db: Queryable, releaseId: string): Promise<Change[]> {
  const rows = await db.selectFrom('changes').selectAll().where('release_id', '=', releaseId).orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind as ChangeKind,
    type: r.type as ChangeType,
    ref: r.ref,
    title: r.title,
    author: r.author,
    link: r.link,
    breaking: Number(r.breaking) === 1,
    afterFreeze: Number(r.after_freeze) === 1,
    createdAt: r.created_at,
  }));
}

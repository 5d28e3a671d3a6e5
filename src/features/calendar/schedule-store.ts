import { sql } from 'kysely';
import type { Queryable } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import { formatRef } from '../releases/release.js';
import { bumpCalendarVersion } from './calendar-store.js';
import type { Booking, BookingStatus, Override, OverrideStatus, PlannedWindow } from './schedule.js';

/** Planned release windows, bookings, overrides and feed tokens. */
// ---- planned windows and bookings --------------------------------------------------------------------------

export interface RangeQuery {
  from?: string;
  to?: string;
  environment?: string;
  product?: string;
  /** Only releases that are not released or cancelled. */
  openOnly?: boolean;
}

function planQuery(db: Queryable) {
  return db
    .selectFrom('release_plans as w')
    .innerJoin('releases as r', 'r.id', 'w.release_id')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .innerJoin('environments as e', 'e.id', 'w.environment_id')
    .leftJoin('trains as t', 't.id', 'r.train_id')
    .select([
      'w.id',
      'p.key as product',
      'r.version',
      't.key as train',
      'e.key as environment',
      'w.starts_at',
      'w.ends_at',
      'w.created_by',
      'w.sequence',
      'w.created_at',
      'w.updated_at',
    ]);
}

export async function listPlans(db: Queryable, q: RangeQuery): Promise<PlannedWindow[]> {
  let query = planQuery(db).orderBy('w.starts_at').orderBy('w.id');
  if (q.from) query = query.where('w.ends_at', '>', q.from);
  if (q.to) query = query.where('w.starts_at', '<', q.to);
  if (q.environment) query = query.where('e.key', '=', q.environment);
  if (q.product) query = query.where('p.key', '=', q.product);
  if (q.openOnly) query = query.where('r.status', 'not in', ['released', 'cancelled']);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    release: formatRef(r.product, r.version),
    product: r.product,
    version: r.version,
    train: r.train,
    environment: r.environment,
    start: r.starts_at,
    end: r.ends_at,
    createdBy: r.created_by,
    sequence: Number(r.sequence),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export async function upsertPlan(
  db: Queryable,
  v: { releaseId: string; environmentId: string; start: string; end: string; actor: string; now: string },
): Promise<{ id: string; before: { start: string; end: string } | null }> {
  const existing = await db
    .selectFrom('release_plans')
    .select(['id', 'sequence', 'starts_at', 'ends_at'])
    .where('release_id', '=', v.releaseId)
    .where('environment_id', '=', v.environmentId)
    .executeTakeFirst();
  if (existing) {
    await db
      .updateTable('release_plans')
      .set({ starts_at: v.start, ends_at: v.end, sequence: Number(existing.sequence) + 1, updated_at: v.now })
      .where('id', '=', existing.id)
      .execute();
    return { id: existing.id, before: { start: existing.starts_at, end: existing.ends_at } };
  }
  const id = newId();
  await db
    .insertInto('release_plans')
    .values({
      id,
      release_id: v.releaseId,
      environment_id: v.environmentId,
      starts_at: v.start,
      ends_at: v.end,
      created_by: v.actor,
      sequence: 0,
      created_at: v.now,
      updated_at: v.now,
    })
    .execute();
  return { id, before: null };
}

export async function deletePlan(
  db: Queryable,
  releaseId: string,
  environmentId: string,
): Promise<{ id: string; start: string; end: string } | undefined> {
  const row = await db
    .deleteFrom('release_plans')
    .where('release_id', '=', releaseId)
    .where('environment_id', '=', environmentId)
    .returning(['id', 'starts_at', 'ends_at'])
    .executeTakeFirst();
  return row ? { id: row.id, start: row.starts_at, end: row.ends_at } : undefined;
}

/** Open planned windows and active bookings as conflict detection reads them: only the columns it needs. */
export async function openSlots(db: Queryable, environment?: string) {
  const plans = db
    .selectFrom('release_plans as w')
    .innerJoin('releases as r', 'r.id', 'w.release_id')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .innerJoin('environments as e', 'e.id', 'w.environment_id')
    .leftJoin('trains as t', 't.id', 'r.train_id')
    .select(['w.id', 'p.key as product', 'r.version', 't.key as train', 'e.key as environment', 'w.starts_at', 'w.ends_at'])
    .where('r.status', 'not in', ['released', 'cancelled'])
    .$if(environment !== undefined, (q) => q.where('e.key', '=', environment as string));
  const bookings = db
    .selectFrom('calendar_bookings as b')
    .innerJoin('releases as r', 'r.id', 'b.release_id')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .innerJoin('environments as e', 'e.id', 'b.environment_id')
    .select(['b.id', 'p.key as product', 'r.version', 'e.key as environment', 'b.starts_at', 'b.ends_at'])
    .where('b.status', '=', 'active')
    .where('r.status', 'not in', ['released', 'cancelled'])
    .$if(environment !== undefined, (q) => q.where('e.key', '=', environment as string));
  const [p, b] = await Promise.all([plans.execute(), bookings.execute()]);
  return { plans: p, bookings: b };
}

function bookingQuery(db: Queryable) {
  return db
    .selectFrom('calendar_bookings as b')
    .innerJoin('releases as r', 'r.id', 'b.release_id')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .innerJoin('environments as e', 'e.id', 'b.environment_id')
    .leftJoin('trains as t', 't.id', 'r.train_id')
    .select([
      'b.id',
      'p.key as product',
      'r.version',
      't.key as train',
      'e.key as environment',
      'b.starts_at',
      'b.ends_at',
      'b.note',
      'b.forced',
      'b.force_reason',
      'b.status',
      'b.created_by',
      'b.cancelled_by',
      'b.cancelled_at',
      'b.sequence',
      'b.created_at',
      'b.updated_at',
    ]);
}

type BookingSelection = Awaited<ReturnType<ReturnType<typeof bookingQuery>['executeTakeFirstOrThrow']>>;

function toBooking(r: BookingSelection): Booking {
  return {
    id: r.id,
    release: formatRef(r.product, r.version),
    product: r.product,
    version: r.version,
    train: r.train,
    environment: r.environment,
    start: r.starts_at,
    end: r.ends_at,
    note: r.note,
    forced: Number(r.forced) === 1,
    forceReason: r.force_reason,
    status: r.status as BookingStatus,
    createdBy: r.created_by,
    cancelledBy: r.cancelled_by,
    cancelledAt: r.cancelled_at,
    sequence: Number(r.sequence),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function listBookings(db: Queryable, q: RangeQuery & { status?: BookingStatus }): Promise<Booking[]> {
  let query = bookingQuery(db).orderBy('b.starts_at').orderBy('b.id');
  if (q.from) query = query.where('b.ends_at', '>', q.from);
  if (q.to) query = query.where('b.starts_at', '<', q.to);
  if (q.environment) query = query.where('e.key', '=', q.environment);
  if (q.product) query = query.where('p.key', '=', q.product);
  if (q.status) query = query.where('b.status', '=', q.status);
  if (q.openOnly) query = query.where('r.status', 'not in', ['released', 'cancelled']);
  return (await query.execute()).map(toBooking);
}

export async function findBooking(db: Queryable, id: string): Promise<Booking | undefined> {
  const row = await bookingQuery(db).where('b.id', '=', id).executeTakeFirst();
  return row ? toBooking(row) : undefined;
}

export async function insertBooking(
  db: Queryable,
  v: {
    id: string;
    releaseId: string;
    environmentId: string;
    start: string;
    end: string;
    note: string;
    forceReason: string | null;
    actor: string;
    now: string;
  },
): Promise<void> {
  await db
    .insertInto('calendar_bookings')
    .values({
      id: v.id,
      release_id: v.releaseId,
      environment_id: v.environmentId,
      starts_at: v.start,
      ends_at: v.end,
      note: v.note,
      forced: v.forceReason === null ? 0 : 1,
      force_reason: v.forceReason,
      status: 'active',
      created_by: v.actor,
      cancelled_by: null,
      cancelled_at: null,
      sequence: 0,
      created_at: v.now,
      updated_at: v.now,
    })
    .execute();
}

export async function cancelBooking(db: Queryable, id: string, actor: string, now: string): Promise<void> {
  await db
    .updateTable('calendar_bookings')
    .set({ status: 'cancelled', cancelled_by: actor, cancelled_at: now, updated_at: now, sequence: sql`sequence + 1` })
    .where('id', '=', id)
    .execute();
}

// ---- overrides ------------------------------------------------------------------------------------------------

function overrideQuery(db: Queryable) {
  return db
    .selectFrom('calendar_overrides as o')
    .innerJoin('calendar_windows as w', 'w.id', 'o.window_id')
    .innerJoin('environments as e', 'e.id', 'o.environment_id')
    .leftJoin('products as p', 'p.id', 'o.product_id')
    .select([
      'o.id',
      'w.key as window',
      'e.key as environment',
      'p.key as product',
      'o.starts_at',
      'o.ends_at',
      'o.reason',
      'o.status',
      'o.requested_by',
      'o.approved_by',
      'o.approved_at',
      'o.revoked_by',
      'o.revoked_at',
      'o.sequence',
      'o.created_at',
      'o.updated_at',
    ]);
}

type OverrideSelection = Awaited<ReturnType<ReturnType<typeof overrideQuery>['executeTakeFirstOrThrow']>>;

function toOverride(r: OverrideSelection): Override {
  return {
    id: r.id,
    window: r.window,
    environment: r.environment,
    product: r.product,
    start: r.starts_at,
    end: r.ends_at,
    reason: r.reason,
    status: r.status as OverrideStatus,
    requestedBy: r.requested_by,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
    revokedBy: r.revoked_by,
    revokedAt: r.revoked_at,
    sequence: Number(r.sequence),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function listOverrides(
  db: Queryable,
  q: { environment?: string; product?: string; endingAfter?: string; startingBefore?: string; status?: OverrideStatus },
): Promise<Override[]> {
  let query = overrideQuery(db).orderBy('o.starts_at').orderBy('o.id');
  if (q.environment) query = query.where('e.key', '=', q.environment);
  if (q.product) query = query.where((eb) => eb.or([eb('p.key', '=', q.product as string), eb('o.product_id', 'is', null)]));
  if (q.endingAfter) query = query.where('o.ends_at', '>', q.endingAfter);
  if (q.startingBefore) query = query.where('o.starts_at', '<', q.startingBefore);
  if (q.status) query = query.where('o.status', '=', q.status);
  return (await query.execute()).map(toOverride);
}

export async function findOverride(db: Queryable, id: string): Promise<Override | undefined> {
  const row = await overrideQuery(db).where('o.id', '=', id).executeTakeFirst();
  return row ? toOverride(row) : undefined;
}

export async function insertOverride(
  db: Queryable,
  v: {
    id: string;
    windowId: string;
    environmentId: string;
    productId: string | null;
    start: string;
    end: string;
    reason: string;
    status: OverrideStatus;
    actor: string;
    now: string;
  },
): Promise<void> {
  await bumpCalendarVersion(db);
  await db
    .insertInto('calendar_overrides')
    .values({
      id: v.id,
      window_id: v.windowId,
      environment_id: v.environmentId,
      product_id: v.productId,
      starts_at: v.start,
      ends_at: v.end,
      reason: v.reason,
      status: v.status,
      requested_by: v.actor,
      approved_by: null,
      approved_at: null,
      revoked_by: null,
      revoked_at: null,
      sequence: 0,
      created_at: v.now,
      updated_at: v.now,
    })
    .execute();
}

export async function setOverrideStatus(
  db: Queryable,
  id: string,
  status: 'active' | 'revoked',
  actor: string,
  now: string,
): Promise<void> {
  await bumpCalendarVersion(db);
  const who = status === 'active' ? { approved_by: actor, approved_at: now } : { revoked_by: actor, revoked_at: now };
  await db
    .updateTable('calendar_overrides')
    .set({ status, ...who, updated_at: now, sequence: sql`sequence + 1` })
    .where('id', '=', id)
    .execute();
}

// ---- feed tokens ----------------------------------------------------------------------------------------------

export async function replaceFeedToken(db: Queryable, user: string, hash: string, now: string): Promise<{ id: string; revoked: number }> {
  const revoked = await db
    .updateTable('calendar_feed_tokens')
    .set({ revoked_at: now })
    .where('user_name', '=', user)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  const id = newId();
  await db
    .insertInto('calendar_feed_tokens')
    .values({ id, user_name: user, token_hash: hash, created_at: now, revoked_at: null })
    .execute();
  return { id, revoked: Number(revoked.numUpdatedRows ?? 0) };
}

export async function feedTokenUser(db: Queryable, hash: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('calendar_feed_tokens')
    .select('user_name')
    .where('token_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row?.user_name;
}

import type { Queryable } from '../../platform/db/database.js';
import type { AgendaBooking, AgendaPlan } from './agenda.js';
import type { BookingStatus } from './schedule.js';
import type { RangeQuery } from './schedule-store.js';

type AgendaRange = Pick<RangeQuery, 'from' | 'to' | 'environment' | 'product'>;

/**
 * Planned windows and bookings as the agenda and the calendar feed show them. A year of a large portfolio is
 * tens of thousands of rows, and turning each column into a JavaScript value is most of the cost of reading
 * them, so these read only the columns shown (no creator, creation time or train) and keep the order of
 * `listPlans` and `listBookings`.
 */
export async function agendaPlans(db: Queryable, q: AgendaRange): Promise<AgendaPlan[]> {
  // The rows are the result, named as the agenda names them: no second object per row.
  let query = db
    .selectFrom('release_plans as w')
    .innerJoin('releases as r', 'r.id', 'w.release_id')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .innerJoin('environments as e', 'e.id', 'w.environment_id')
    .select([
      'w.id',
      'p.key as product',
      'r.version',
      'e.key as environment',
      'w.starts_at as start',
      'w.ends_at as end',
      'w.sequence',
      'w.updated_at as updatedAt',
    ])
    .orderBy('w.starts_at')
    .orderBy('w.id');
  if (q.from) query = query.where('w.ends_at', '>', q.from);
  if (q.to) query = query.where('w.starts_at', '<', q.to);
  if (q.environment) query = query.where('e.key', '=', q.environment);
  if (q.product) query = query.where('p.key', '=', q.product);
  return query.execute();
}

export async function agendaBookings(db: Queryable, q: AgendaRange): Promise<AgendaBooking[]> {
  let query = db
    .selectFrom('calendar_bookings as b')
    .innerJoin('releases as r', 'r.id', 'b.release_id')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .innerJoin('environments as e', 'e.id', 'b.environment_id')
    .select([
      'b.id',
      'p.key as product',
      'r.version',
      'e.key as environment',
      'b.starts_at',
      'b.ends_at',
      'b.note',
      'b.forced',
      'b.force_reason',
      'b.status',
      'b.sequence',
      'b.updated_at',
    ])
    .orderBy('b.starts_at')
    .orderBy('b.id');
  if (q.from) query = query.where('b.ends_at', '>', q.from);
  if (q.to) query = query.where('b.starts_at', '<', q.to);
  if (q.environment) query = query.where('e.key', '=', q.environment);
  if (q.product) query = query.where('p.key', '=', q.product);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    product: r.product,
    version: r.version,
    environment: r.environment,
    start: r.starts_at,
    end: r.ends_at,
    note: r.note,
    forced: Number(r.forced) === 1,
    forceReason: r.force_reason,
    status: r.status as BookingStatus,
    sequence: Number(r.sequence),
    updatedAt: r.updated_at,
  }));
}

import { sql } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import { type Db, dialectOfDb, type Queryable } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { lazy } from '../../platform/lazy.js';
import type { AuditLog } from '../audit/audit-service.js';
import { formatRef, parseRef } from '../releases/release.js';
import type { AgendaSource, ZonedWindow } from './agenda.js';
import { agendaBookings, agendaPlans } from './agenda-store.js';
import {
  type Agenda,
  agendaKinds,
  type BookingRequest,
  type CalendarQuery,
  checkedRange,
  type Proposals,
  type ProposeQuery,
  type SlotRequest,
  timeBound,
} from './calendar-api.js';
import type { CalendarClient } from './calendar-client.js';
import type { CalendarService } from './calendar-service.js';
import {
  calendarEnvironments,
  calendarProducts,
  calendarTrain,
  deployedVersions,
  findReleaseForCalendar,
  trackEnvironments,
} from './calendar-store.js';
import type { Conflict } from './conflicts.js';
import { isoOf, parseIso } from './instant.js';
import type { Booking, PlannedWindow } from './schedule.js';
import type { ConflictInput, Slot } from './schedule-index.js';
import {
  cancelBooking,
  deletePlan,
  findBooking,
  insertBooking,
  listBookings,
  listOverrides,
  listPlans,
  openSlots,
  type RangeQuery,
  upsertPlan,
} from './schedule-store.js';
import type { Window } from './window.js';

const DAY = 86_400_000;
// Loaded when first needed: most commands never detect conflicts or write a calendar.
const conflictsModule = lazy(() => import('./conflicts.js'));
const agendaModule = lazy(() => import('./agenda.js'));
const icsModule = lazy(() => import('./ics.js'));
const cadenceModule = lazy(() => import('./cadence.js'));

/**
 * Planned release windows, environment bookings, portfolio-wide conflicts, the agenda and its iCalendar form,
 * and release dates proposed from cadences.
 */
export class ScheduleService {
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog; calendar: CalendarService }) {}

  async plan(r: SlotRequest, actor: string): Promise<{ plan: PlannedWindow; conflicts: Conflict[] }> {
    const range = checkedRange(r);
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const { release, env } = await this.resolve(trx, r);
      const { id, before } = await upsertPlan(trx, {
        releaseId: release.id,
        environmentId: env.id,
        start: range.start,
        end: range.end,
        actor,
        now,
      });
      const plan = (await listPlans(trx, { environment: env.key, product: release.product })).find((p) => p.id === id);
      if (!plan) throw new AppError('internal', 'planned window vanished');
      await this.deps.audit.record(trx, {
        actor,
        action: before ? 'release.window_replanned' : 'release.window_planned',
        subjectType: 'release',
        subjectId: release.id,
        before: before ?? undefined,
        after: { release: plan.release, environment: plan.environment, start: plan.start, end: plan.end },
      });
      return { plan, conflicts: await this.conflictsOf(trx, toSlot(plan, 'plan')) };
    });
  }

  async unplan(
    r: { release: string; environment: string },
    actor: string,
  ): Promise<{ release: string; environment: string; removed: boolean }> {
    return this.deps.db.transaction().execute(async (trx) => {
      const { release, env } = await this.resolve(trx, r, false);
      const removed = await deletePlan(trx, release.id, env.id);
      if (!removed) throw notFound('planned window', `${r.release} in ${r.environment}`);
      await this.deps.audit.record(trx, {
        actor,
        action: 'release.window_removed',
        subjectType: 'release',
        subjectId: release.id,
        before: { release: r.release, environment: env.key, start: removed.start, end: removed.end },
      });
      return { release: r.release, environment: env.key, removed: true };
    });
  }

  async plans(q: CalendarQuery): Promise<PlannedWindow[]> {
    return listPlans(this.deps.db, this.rangeQuery(q));
  }

  private rangeQuery(q: CalendarQuery): RangeQuery {
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      from: q.from ? iso(timeBound(q.from, 'from')) : undefined,
      to: q.to ? iso(timeBound(q.to, 'to', true)) : undefined,
      environment: q.environment,
      product: q.product,
    };
  }

  /**
   * Reserves an environment for a release. A booking that conflicts (over capacity, in a freeze, outside the
   * maintenance windows, before a dependency) is refused with the conflicts, unless forced with a reason.
   */
  async book(r: BookingRequest, actor: string): Promise<{ booking: Booking; conflicts: Conflict[] }> {
    const range = checkedRange(r);
    if (r.force && !r.reason?.trim()) throw new AppError('bad_request', 'a forced booking needs a reason (--reason)');
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const { release, env } = await this.resolve(trx, r);
      // PostgreSQL: bookings of one environment are made one at a time (SQLite's writer lock does this already).
      if (dialectOfDb(trx as never) === 'postgres') await sql`select id from environments where id = ${env.id} for update`.execute(trx);
      const id = newId();
      const slot: Slot = {
        id,
        type: 'booking',
        release: formatRef(release.product, release.version),
        product: release.product,
        version: release.version,
        train: null,
        environment: env.key,
        start: Date.parse(range.start),
        end: Date.parse(range.end),
      };
      const conflicts = await this.conflictsOf(trx, slot);
      if (conflicts.length > 0 && !r.force) {
        throw new AppError(
          'conflict',
          `booking ${slot.release} into ${env.key} conflicts with the calendar (book with --force --reason to override)`,
          conflicts.map((c) => ({ message: `${c.kind}: ${c.message}${c.suggestion ? `; next free slot ${c.suggestion.start}` : ''}` })),
        );
      }
      await insertBooking(trx, {
        id,
        releaseId: release.id,
        environmentId: env.id,
        start: range.start,
        end: range.end,
        note: r.note ?? '',
        forceReason: conflicts.length > 0 ? (r.reason?.trim() ?? null) : null,
        actor,
        now,
      });
      const booking = await findBooking(trx, id);
      if (!booking) throw new AppError('internal', 'booking vanished');
      await this.deps.audit.record(trx, {
        actor,
        action: conflicts.length > 0 ? 'booking.forced' : 'booking.created',
        subjectType: 'booking',
        subjectId: id,
        after: { ...booking, conflicts: conflicts.map((c) => ({ kind: c.kind, message: c.message })) },
      });
      return { booking, conflicts };
    });
  }

  async cancelBooking(id: string, actor: string, reason?: string): Promise<Booking> {
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await findBooking(trx, id);
      if (!before) throw notFound('booking', id);
      if (before.status === 'cancelled') throw new AppError('invalid_transition', `booking ${id} is already cancelled`);
      await cancelBooking(trx, id, actor, now);
      const after = (await findBooking(trx, id)) as Booking;
      await this.deps.audit.record(trx, {
        actor,
        action: 'booking.cancelled',
        subjectType: 'booking',
        subjectId: id,
        before: { status: before.status },
        after: { status: after.status, ...(reason ? { reason } : {}) },
      });
      return after;
    });
  }

  async bookings(q: CalendarQuery & { all?: boolean }): Promise<Booking[]> {
    return listBookings(this.deps.db, { ...this.rangeQuery(q), status: q.all ? undefined : 'active' });
  }

  /** Conflicts across the whole portfolio in [from, to) (default: now to a year ahead). */
  async conflicts(q: CalendarQuery = {}): Promise<Conflict[]> {
    const now = this.deps.clock.now().getTime();
    const from = q.from ? timeBound(q.from, 'from') : now;
    const to = q.to ? timeBound(q.to, 'to', true) : from + 366 * DAY;
    if (to <= from) throw new AppError('bad_request', 'to must be after from');
    if (to - from > 3 * 366 * DAY) throw new AppError('bad_request', 'conflicts are looked for at most three years ahead');
    const input = await this.conflictInput(this.deps.db, from, to);
    const { detectConflicts } = await conflictsModule();
    const all = detectConflicts(input);
    const products = (c: Conflict) => [c.a, c.b].filter((p) => p.type !== 'window').map((p) => p.key.split('@')[0]);
    return all.filter((c) => (!q.environment || c.environment === q.environment) && (!q.product || products(c).includes(q.product)));
  }

  /** Everything conflict detection needs; `scope` narrows slots and overrides to one environment and adds a slot. */
  private async conflictInput(
    db: Queryable,
    from: number,
    to: number,
    scope?: { environment: string; extra?: Slot },
  ): Promise<ConflictInput> {
    const env = scope?.environment;
    const [{ environments, products }, windows, open, overrides, deployed, compile] = await Promise.all([
      this.deps.calendar.portfolio(db),
      this.deps.calendar.windows(db),
      openSlots(db, env),
      listOverrides(db, { status: 'active', endingAfter: new Date(from).toISOString(), environment: env }),
      deployedVersions(db),
      this.deps.calendar.compileFn(),
    ]);
    const slot = (type: Slot['type'], r: (typeof open.bookings)[number], train: string | null): Slot => ({
      id: r.id,
      type,
      release: formatRef(r.product, r.version),
      product: r.product,
      version: r.version,
      train,
      environment: r.environment,
      start: parseIso(r.starts_at),
      end: parseIso(r.ends_at),
    });
    const slots: Slot[] = [];
    for (const p of open.plans) slots.push(slot('plan', p, p.train));
    for (const b of open.bookings) slots.push(slot('booking', b, null));
    if (scope?.extra) slots.push(scope.extra);
    return {
      slots,
      environments,
      products,
      windows,
      compile,
      overrides: overrides.map((o) => ({ ...o, start: Date.parse(o.start), end: Date.parse(o.end) })),
      deployed,
      from,
      to,
    };
  }

  /** Conflicts in which this (new or changed) slot takes part. */
  private async conflictsOf(db: Queryable, slot: Slot): Promise<Conflict[]> {
    const input = await this.conflictInput(db, slot.start, slot.end, { environment: slot.environment, extra: slot });
    // Dependencies may be planned in the same environment only, which the input holds; plans outside it do not count.
    const { detectConflicts } = await conflictsModule();
    const others = input.slots.filter((s) => s.id !== slot.id || s === slot);
    return detectConflicts({ ...input, slots: others }).filter((c) => c.a.id === slot.id || c.b.id === slot.id);
  }

  async agenda(q: CalendarQuery): Promise<Agenda> {
    const from = q.from ? timeBound(q.from, 'from') : startOfDay(this.deps.clock.now().getTime());
    const to = q.to ? timeBound(q.to, 'to', true) : from + 30 * DAY;
    if (to <= from) throw new AppError('bad_request', 'to must be after from');
    if (to - from > 366 * DAY) throw new AppError('bad_request', 'an agenda covers at most 366 days (use --ics for longer)');
    const { buildAgenda } = await agendaModule();
    const source = await this.agendaSource(q, from, to);
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      items: buildAgenda(source, from, to, agendaKinds(q.kinds)),
    };
  }

  /** The agenda as an RFC 5545 calendar (default: a month back to a year ahead). */
  async ics(q: CalendarQuery, name = 'Railyard release calendar'): Promise<string> {
    const now = this.deps.clock.now().getTime();
    const from = q.from ? timeBound(q.from, 'from') : startOfDay(now) - 30 * DAY;
    const to = q.to ? timeBound(q.to, 'to', true) : startOfDay(now) + 366 * DAY;
    if (to <= from) throw new AppError('bad_request', 'to must be after from');
    if (to - from > 3 * 366 * DAY) throw new AppError('bad_request', 'a calendar feed covers at most three years');
    const [{ eachScheduleIcsEvent, windowIcsEvents }, { IcsWriter, zonesOf }] = await Promise.all([agendaModule(), icsModule()]);
    const source = await this.agendaSource(q, from, to);
    const filters = [q.product && `product ${q.product}`, q.environment && `environment ${q.environment}`].filter(Boolean);
    const kinds = agendaKinds(q.kinds);
    // Windows first (they carry the time zones); the rest is written as it is made, never held as a list.
    const windows = windowIcsEvents(source, from, to, kinds);
    const writer = new IcsWriter({ name: filters.length ? `${name} (${filters.join(', ')})` : name }, zonesOf(windows));
    for (const e of windows) writer.add(e);
    eachScheduleIcsEvent(source, kinds, (e) => writer.add(e));
    return writer.finish();
  }

  private async agendaSource(q: CalendarQuery, from: number, to: number): Promise<AgendaSource> {
    const db = this.deps.db;
    const range = { from: isoOf(from), to: isoOf(to), environment: q.environment, product: q.product };
    const [portfolio, windows, plans, bookings, overrides, compile] = await Promise.all([
      this.deps.calendar.portfolio(db),
      this.deps.calendar.windows(db),
      agendaPlans(db, range),
      agendaBookings(db, range),
      listOverrides(db, { environment: q.environment, product: q.product, endingAfter: range.from, startingBefore: range.to }),
      this.deps.calendar.compileFn(),
    ]);
    if (q.environment && !portfolio.environments.has(q.environment)) throw notFound('environment', q.environment);
    const environments = [...portfolio.environments.values()];
    const zoned: ZonedWindow[] = [];
    for (const w of windows) {
      if (q.product && w.products.length > 0 && !w.products.includes(q.product)) continue;
      const zones = new Map<string, string[]>();
      for (const e of environments) {
        if ((w.environments.length > 0 && !w.environments.includes(e.key)) || (q.environment && e.key !== q.environment)) continue;
        const zone = w.timezone ?? e.timezone;
        const list = zones.get(zone);
        if (list) list.push(e.key);
        else zones.set(zone, [e.key]);
      }
      if (zones.size === 0) continue;
      zoned.push({ window: w, zones: [...zones].map(([zone, envs]) => ({ zone, environments: envs })) });
    }
    return { windows: zoned, plans, bookings, overrides, compile: (w: Window, zone: string) => compile(w, zone) };
  }

  /** The next release dates of a product's or train's cadence, skipping freezes, closed maintenance windows and full environments. */
  async propose(q: ProposeQuery): Promise<Proposals> {
    if ((q.product === undefined) === (q.train === undefined)) throw new AppError('bad_request', 'name a product or a train (one of them)');
    const count = q.count ?? 5;
    if (!Number.isInteger(count) || count < 1 || count > 100) throw new AppError('bad_request', 'count: expected 1 to 100');
    const db = this.deps.db;
    const subject = q.product !== undefined ? await this.productCadence(db, q.product) : await this.trainCadence(db, q.train as string);
    const { key, cadence: c, products, defaultEnv } = subject;
    const envKey = q.environment ?? defaultEnv;
    if (!envKey) throw new AppError('bad_request', 'no environment to release into: pass --env or set cadence.environment');
    const [env] = await calendarEnvironments(db, envKey);
    if (!env) throw notFound('environment', envKey);
    const from = q.from ? timeBound(q.from, 'from') : this.deps.clock.now().getTime();
    const [{ cadenceAsWindow, proposeDates }, { slotChecker }, compile] = await Promise.all([
      cadenceModule(),
      conflictsModule(),
      this.deps.calendar.compileFn(),
    ]);
    const compiled = compile(cadenceAsWindow(key, c), c.timezone ?? env.timezone);
    const horizon = from + 3 * 366 * DAY;
    const blocked = slotChecker(await this.conflictInput(db, from, horizon, { environment: env.key }), from, horizon);
    const result = proposeDates(compiled, from, horizon - DAY, count, (start, end) => {
      for (const p of products) {
        const why = blocked(p, env.key, start, end);
        if (why) return why;
      }
      return null;
    });
    return { subject: q.product !== undefined ? 'product' : 'train', key, environment: env.key, cadence: c.rrule, ...result };
  }

  private async productCadence(db: Queryable, key: string) {
    const [p] = await calendarProducts(db, key, { withDependencies: false });
    if (!p) throw notFound('product', key);
    if (!p.cadence) throw new AppError('bad_request', `product ${p.key} declares no cadence (add cadence: to it in railyard.yaml)`);
    const defaultEnv = p.cadence.environment ?? (p.track ? (await trackEnvironments(db, p.track)).at(-1) : undefined);
    return { key: p.key, cadence: p.cadence, products: [p.key], defaultEnv };
  }

  private async trainCadence(db: Queryable, key: string) {
    const train = await calendarTrain(db, key);
    if (!train) throw notFound('train', key);
    if (!train.cadence) throw new AppError('bad_request', `train ${train.key} declares no cadence (add cadence: to it in railyard.yaml)`);
    let defaultEnv = train.cadence.environment;
    if (!defaultEnv && train.products[0]) {
      const [first] = await calendarProducts(db, train.products[0], { withDependencies: false });
      defaultEnv = first?.track ? (await trackEnvironments(db, first.track)).at(-1) : undefined;
    }
    return { key: train.key, cadence: train.cadence, products: train.products, defaultEnv };
  }

  private async resolve(db: Queryable, r: { release: string; environment: string }, openOnly = true) {
    const { product, version } = parseRef(r.release);
    const release = await findReleaseForCalendar(db, product, version);
    if (!release) throw notFound('release', r.release);
    if (openOnly && (release.status === 'released' || release.status === 'cancelled')) {
      throw new AppError('invalid_transition', `release ${r.release} is ${release.status}: nothing left to plan`);
    }
    const [env] = await calendarEnvironments(db, r.environment);
    if (!env) throw notFound('environment', r.environment);
    return { release, env };
  }
}

function toSlot(p: PlannedWindow | Booking, type: Slot['type']): Slot {
  return {
    id: p.id,
    type,
    release: p.release,
    product: p.product,
    version: p.version,
    train: p.train,
    environment: p.environment,
    start: Date.parse(p.start),
    end: Date.parse(p.end),
  };
}

function startOfDay(ms: number): number {
  return ms - (ms % DAY);
}

/** The calendar for the CLI over a local database, acting as `actor`. */
export function localCalendarClient(calendar: CalendarService, schedule: ScheduleService, actor: string): CalendarClient {
  return {
    check: (q) => calendar.check(q),
    agenda: (q) => schedule.agenda(q),
    ics: (q) => schedule.ics(q),
    conflicts: (q) => schedule.conflicts(q),
    propose: (q) => schedule.propose(q),
    windows: () => calendar.listWindows(),
    window: (key) => calendar.showWindow(key),
    createWindow: (input) => calendar.createWindow(input, actor),
    removeWindow: (key) => calendar.removeWindow(key, actor),
    requestOverride: (r) => calendar.requestOverride(r, actor),
    approveOverride: (id) => calendar.approveOverride(id, actor),
    revokeOverride: (id, reason) => calendar.revokeOverride(id, actor, reason),
    overrides: (q) => calendar.listOverrides(q),
    plan: (r) => schedule.plan(r, actor),
    unplan: (r) => schedule.unplan(r, actor),
    plans: (q) => schedule.plans(q),
    book: (r) => schedule.book(r, actor),
    cancelBooking: (id, reason) => schedule.cancelBooking(id, actor, reason),
    bookings: (q) => schedule.bookings(q),
    feedToken: () => calendar.createFeedToken(actor),
  };
}

import { formatRef } from '../releases/release.js';
import type { IcsEvent } from './ics.js';
import { type CompiledWindow, instantOf, localDateTime } from './recurrence.js';
import type { Booking, Override, PlannedWindow } from './schedule.js';
import type { Window } from './window.js';

/** What the calendar shows: planned releases, bookings, windows (freezes and maintenance windows) and overrides. */
export const AGENDA_KINDS = ['release', 'booking', 'freeze', 'allow', 'override'] as const;
export type AgendaKind = (typeof AGENDA_KINDS)[number];

export interface AgendaItem {
  kind: AgendaKind;
  /** Id of the planned window, booking or override; key of the window. */
  id: string;
  title: string;
  start: string;
  end: string;
  /** Environments it concerns; empty for a window that applies to every environment. */
  environments: string[];
  product: string | null;
  release: string | null;
  window: string | null;
  /** booking: active|cancelled; override: pending|active|revoked; else null. */
  status: string | null;
}

/** A window with the zones it is evaluated in and the environments read in each zone. */
export interface ZonedWindow {
  window: Window;
  zones: { zone: string; environments: string[] }[];
}

/** What the agenda and the feed show of a planned window and a booking. */
export type AgendaPlan = Pick<PlannedWindow, 'id' | 'product' | 'version' | 'environment' | 'start' | 'end' | 'sequence' | 'updatedAt'>;
export type AgendaBooking = Pick<
  Booking,
  'id' | 'product' | 'version' | 'environment' | 'start' | 'end' | 'sequence' | 'updatedAt' | 'note' | 'forced' | 'forceReason' | 'status'
>;

export interface AgendaSource {
  windows: readonly ZonedWindow[];
  plans: readonly AgendaPlan[];
  bookings: readonly AgendaBooking[];
  overrides: readonly Override[];
  compile(w: Window, zone: string): CompiledWindow;
}

/** Occurrences of one window listed in an agenda: past this, the range is too wide for the rule. */
const AGENDA_OCCURRENCE_LIMIT = 10_000;

const iso = (ms: number) => new Date(ms).toISOString();
/** Shared, never modified: a feed holds thousands of events. */
const CATEGORY = { release: ['Release'], booking: ['Booking'], override: ['Override'] } as const;

function windowTitle(w: Window, environments: string[]): string {
  const where = environments.length ? environments.join(', ') : 'all environments';
  return `${w.kind === 'freeze' ? 'Freeze' : 'Maintenance window'}: ${w.name} (${where})`;
}

export function buildAgenda(src: AgendaSource, from: number, to: number, kinds: ReadonlySet<AgendaKind>): AgendaItem[] {
  const items: AgendaItem[] = [];
  for (const { window: w, zones } of src.windows) {
    if (!kinds.has(w.kind)) continue;
    for (const { zone, environments } of zones) {
      for (const o of src.compile(w, zone).between(from, to, AGENDA_OCCURRENCE_LIMIT)) {
        items.push({
          kind: w.kind,
          id: w.key,
          title: windowTitle(w, w.environments.length ? environments : []),
          start: iso(o.start),
          end: iso(o.end),
          environments: w.environments.length ? environments : [],
          product: w.products.length === 1 ? (w.products[0] as string) : null,
          release: null,
          window: w.key,
          status: null,
        });
      }
    }
  }
  if (kinds.has('release')) {
    for (const p of src.plans) {
      items.push({
        kind: 'release',
        id: p.id,
        title: `${formatRef(p.product, p.version)} → ${p.environment} (planned)`,
        start: p.start,
        end: p.end,
        environments: [p.environment],
        product: p.product,
        release: formatRef(p.product, p.version),
        window: null,
        status: null,
      });
    }
  }
  if (kinds.has('booking')) {
    for (const b of src.bookings) {
      items.push({
        kind: 'booking',
        id: b.id,
        title: `${b.environment} booked for ${formatRef(b.product, b.version)}${b.forced ? ' (forced)' : ''}`,
        start: b.start,
        end: b.end,
        environments: [b.environment],
        product: b.product,
        release: formatRef(b.product, b.version),
        window: null,
        status: b.status,
      });
    }
  }
  if (kinds.has('override')) {
    for (const o of src.overrides) {
      items.push({
        kind: 'override',
        id: o.id,
        title: `Override of ${o.window} on ${o.environment}${o.product ? ` for ${o.product}` : ''}: ${o.reason}`,
        start: o.start,
        end: o.end,
        environments: [o.environment],
        product: o.product,
        release: null,
        window: o.window,
        status: o.status,
      });
    }
  }
  return items.sort((a, b) => a.start.localeCompare(b.start) || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
}

/** The note and, when forced, why: one line each, either left out when empty. */
function bookingNotes(b: AgendaBooking): string {
  const forced = b.forced ? `Forced: ${b.forceReason}` : '';
  return b.note && forced ? `${b.note}\n${forced}` : b.note || forced;
}

function zoneSlug(zone: string): string {
  return zone.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/**
 * The first occurrence of a recurring window and its exceptions as local times: the same for as long as the
 * compiled window lives (it is replaced when the window changes), and costly to work out with Temporal.
 */
interface RecurringStart {
  first: number;
  startLocal: string;
  exdatesLocal: string[];
}
const recurringStarts = new WeakMap<CompiledWindow, { zone: string; start: RecurringStart | null }>();
function recurringStart(compiled: CompiledWindow, zone: string): RecurringStart | null {
  const known = recurringStarts.get(compiled);
  if (known?.zone === zone) return known.start;
  const first = compiled.nextStart(instantOf({ kind: 'local', value: compiled.dtstartLocal }, zone));
  const start =
    first === null
      ? null
      : { first, startLocal: localDateTime(first, zone), exdatesLocal: compiled.excludedStarts.map((ms) => localDateTime(ms, zone)) };
  recurringStarts.set(compiled, { zone, start });
  return start;
}

/**
 * The same as iCalendar events. A recurring window is one event with its RRULE (DTSTART set to its first
 * occurrence, as RFC 5545 asks), its DURATION and its exceptions; its UID stays the same across regenerations.
 */
export function buildIcsEvents(src: AgendaSource, from: number, to: number, kinds: ReadonlySet<AgendaKind>): IcsEvent[] {
  const events = windowIcsEvents(src, from, to, kinds);
  eachScheduleIcsEvent(src, kinds, (e) => events.push(e));
  return events;
}

/** The windows as events: a few hundred at most, and the only events with time zones. */
export function windowIcsEvents(src: AgendaSource, from: number, to: number, kinds: ReadonlySet<AgendaKind>): IcsEvent[] {
  const events: IcsEvent[] = [];
  for (const { window: w, zones } of src.windows) {
    if (!kinds.has(w.kind)) continue;
    for (const { zone, environments } of zones) {
      const compiled = src.compile(w, zone);
      // Only windows with an occurrence in the range are listed; a recurring one keeps its RRULE whole.
      if (!compiled.overlaps(from, to)) continue;
      const uid = `window-${w.id}${w.timezone === null ? `-${zoneSlug(zone)}` : ''}@railyard`;
      const base = {
        uid,
        sequence: w.sequence,
        stamp: Date.parse(w.updatedAt),
        summary: windowTitle(w, w.environments.length ? environments : []),
        description: [
          w.reason,
          w.rrule ? `Rule: ${w.rrule}, duration ${w.duration}, ${zone}` : '',
          w.products.length ? `Products: ${w.products.join(', ')}` : '',
          w.tags.length ? `Tags: ${w.tags.join(', ')}` : '',
          w.kind === 'freeze' ? `Severity: ${w.severity}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
        categories: [w.kind === 'freeze' ? 'Freeze' : 'Maintenance window'],
      };
      if (!w.rrule) {
        const occ = compiled.between(from, to, 1)[0];
        if (occ) events.push({ ...base, start: occ.start, end: occ.end });
        continue;
      }
      const start = recurringStart(compiled, zone);
      if (!start) continue;
      events.push({
        ...base,
        start: start.first,
        zone,
        startLocal: start.startLocal,
        duration: w.duration ?? undefined,
        rrule: w.rrule,
        exdatesLocal: start.exdatesLocal,
      });
    }
  }
  return events;
}

/**
 * Planned windows, bookings and overrides as events, handed to `emit` one at a time: a feed holds tens of
 * thousands, and one written as soon as it is made is garbage at once instead of for the whole request.
 */
export function eachScheduleIcsEvent(src: AgendaSource, kinds: ReadonlySet<AgendaKind>, emit: (e: IcsEvent) => void): void {
  if (kinds.has('release')) {
    for (const p of src.plans) {
      emit({
        uid: `plan-${p.id}@railyard`,
        sequence: p.sequence,
        stamp: p.updatedAt,
        summary: `${formatRef(p.product, p.version)} → ${p.environment} (planned)`,
        categories: CATEGORY.release,
        start: p.start,
        end: p.end,
      });
    }
  }
  if (kinds.has('booking')) {
    for (const b of src.bookings) {
      emit({
        uid: `booking-${b.id}@railyard`,
        sequence: b.sequence,
        stamp: b.updatedAt,
        summary: `${b.environment} booked for ${formatRef(b.product, b.version)}`,
        description: bookingNotes(b),
        categories: CATEGORY.booking,
        status: b.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED',
        start: b.start,
        end: b.end,
      });
    }
  }
  if (kinds.has('override')) {
    for (const o of src.overrides) {
      emit({
        uid: `override-${o.id}@railyard`,
        sequence: o.sequence,
        stamp: o.updatedAt,
        summary: `Override of ${o.window} on ${o.environment}${o.product ? ` for ${o.product}` : ''}`,
        description: `${o.reason}\nRequested by ${o.requestedBy}${o.approvedBy ? `, approved by ${o.approvedBy}` : ''}`,
        categories: CATEGORY.override,
        status: o.status === 'revoked' ? 'CANCELLED' : o.status === 'pending' ? 'TENTATIVE' : 'CONFIRMED',
        start: o.start,
        end: o.end,
      });
    }
  }
}

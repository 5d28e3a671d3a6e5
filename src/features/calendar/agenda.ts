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

export interface AgendaSource {
  windows: readonly ZonedWindow[];
  plans: readonly PlannedWindow[];
  bookings: readonly Booking[];
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
        title: `${p.release} → ${p.environment} (planned)`,
        start: p.start,
        end: p.end,
        environments: [p.environment],
        product: p.product,
        release: p.release,
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
        title: `${b.environment} booked for ${b.release}${b.forced ? ' (forced)' : ''}`,
        start: b.start,
        end: b.end,
        environments: [b.environment],
        product: b.product,
        release: b.release,
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

function zoneSlug(zone: string): string {
  return zone.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/**
 * The same as iCalendar events. A recurring window is one event with its RRULE (DTSTART set to its first
 * occurrence, as RFC 5545 asks), its DURATION and its exceptions; its UID stays the same across regenerations.
 */
export function buildIcsEvents(src: AgendaSource, from: number, to: number, kinds: ReadonlySet<AgendaKind>): IcsEvent[] {
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
      const first = compiled.nextStart(instantOf({ kind: 'local', value: compiled.dtstartLocal }, zone));
      if (first === null) continue;
      events.push({
        ...base,
        start: first,
        zone,
        startLocal: localDateTime(first, zone),
        duration: w.duration ?? undefined,
        rrule: w.rrule,
        exdatesLocal: compiled.excludedStarts.map((ms) => localDateTime(ms, zone)),
      });
    }
  }
  if (kinds.has('release')) {
    for (const p of src.plans) {
      events.push({
        uid: `plan-${p.id}@railyard`,
        sequence: p.sequence,
        stamp: p.updatedAt,
        summary: `${p.release} → ${p.environment} (planned)`,
        categories: CATEGORY.release,
        start: p.start,
        end: p.end,
      });
    }
  }
  if (kinds.has('booking')) {
    for (const b of src.bookings) {
      events.push({
        uid: `booking-${b.id}@railyard`,
        sequence: b.sequence,
        stamp: b.updatedAt,
        summary: `${b.environment} booked for ${b.release}`,
        description: [b.note, b.forced ? `Forced: ${b.forceReason}` : ''].filter(Boolean).join('\n'),
        categories: CATEGORY.booking,
        status: b.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED',
        start: b.start,
        end: b.end,
      });
    }
  }
  if (kinds.has('override')) {
    for (const o of src.overrides) {
      events.push({
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
  return events;
}

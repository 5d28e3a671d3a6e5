import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { type AgendaSource, buildAgenda, buildIcsEvents, eachScheduleIcsEvent, windowIcsEvents } from './agenda.js';
import { escapeText, foldLine, type IcsEvent, IcsWriter, toIcs, zonesOf } from './ics.js';
import { WindowCompiler } from './recurrence.js';
import type { Booking, PlannedWindow } from './schedule.js';
import { normalizeWindow, type Window } from './window.js';

const compiler = new WindowCompiler();
const window = (over: Partial<Window> & Pick<Window, 'key'>): Window => ({
  ...normalizeWindow({ key: over.key, kind: over.kind ?? 'freeze' }),
  id: `01WINDOW${over.key.toUpperCase()}`,
  source: 'config',
  sequence: 2,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-11-01T08:00:00.000Z',
  ...over,
});

const weekend = window({
  key: 'weekend-freeze',
  environments: ['prod'],
  rrule: 'FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0',
  duration: 'P2DT12H',
  timezone: 'Europe/Berlin',
  exdates: ['2026-12-25T18:00'],
  reason: 'No weekend changes; really, none',
});
const nightly = window({
  key: 'nightly',
  kind: 'allow',
  rrule: 'FREQ=DAILY;BYHOUR=22',
  duration: 'PT4H',
  timezone: null,
  reason: 'Maintenance',
});
const xmas = window({ key: 'xmas', start: '2026-12-21T00:00:00Z', end: '2027-01-04T06:00:00Z', reason: 'Holidays' });

const plan: PlannedWindow = {
  id: '01PLAN',
  release: 'shop@1.4.0',
  product: 'shop',
  version: '1.4.0',
  train: null,
  environment: 'prod',
  start: '2026-10-20T08:00:00.000Z',
  end: '2026-10-20T10:00:00.000Z',
  createdBy: 'alice',
  sequence: 1,
  createdAt: '2026-10-01T00:00:00.000Z',
  updatedAt: '2026-10-02T00:00:00.000Z',
};
const booking: Booking = {
  ...plan,
  id: '01BOOK',
  note: 'Spring sale – ünïcödé notes that are long enough to need folding across several content lines, surely',
  forced: false,
  forceReason: null,
  status: 'cancelled',
  cancelledBy: 'bob',
  cancelledAt: '2026-10-03T00:00:00.000Z',
};

const source: AgendaSource = {
  windows: [
    { window: weekend, zones: [{ zone: 'Europe/Berlin', environments: ['prod'] }] },
    {
      window: nightly,
      zones: [
        { zone: 'America/New_York', environments: ['us'] },
        { zone: 'UTC', environments: ['dev'] },
      ],
    },
    { window: xmas, zones: [{ zone: 'UTC', environments: ['prod'] }] },
  ],
  plans: [plan],
  bookings: [booking],
  overrides: [],
  compile: (w, zone) => compiler.get(w, zone),
};
const ALL = new Set(['release', 'booking', 'freeze', 'allow', 'override'] as const);
const from = Date.parse('2026-10-01T00:00:00Z');
const to = Date.parse('2027-01-31T00:00:00Z');

function parse(ics: string) {
  const cal = new ICAL.Component(ICAL.parse(ics));
  for (const tz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
  return cal;
}

describe('iCalendar output', () => {
  const ics = toIcs({ name: 'Railyard test', events: buildIcsEvents(source, from, to, ALL) });

  it('is valid RFC 5545 that ical.js parses, with CRLF lines of at most 75 octets', () => {
    expect(ics.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:')).toBe(true);
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(ics.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    for (const line of ics.split('\r\n')) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    const cal = parse(ics);
    expect(cal.getFirstPropertyValue('x-wr-calname')).toBe('Railyard test');
    const uids = cal.getAllSubcomponents('vevent').map((e) => e.getFirstPropertyValue('uid'));
    expect(uids).toEqual([
      'window-01WINDOWWEEKEND-FREEZE@railyard',
      'window-01WINDOWNIGHTLY-america-new-york@railyard',
      'window-01WINDOWNIGHTLY-utc@railyard',
      'window-01WINDOWXMAS-utc@railyard',
      'plan-01PLAN@railyard',
      'booking-01BOOK@railyard',
    ]);
  });

  it('keeps RRULEs, with a VTIMEZONE for every TZID, and expands to the right instants across DST', () => {
    const cal = parse(ics);
    const tzids = cal.getAllSubcomponents('vtimezone').map((z) => z.getFirstPropertyValue('tzid'));
    expect(tzids.sort()).toEqual(['America/New_York', 'Europe/Berlin']);
    const event = new ICAL.Event(cal.getAllSubcomponents('vevent')[0]);
    expect(event.isRecurring()).toBe(true);
    expect(String(event.component.getFirstPropertyValue('rrule'))).toBe('FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0');
    expect(event.component.getFirstPropertyValue('sequence')).toBe(2);
    expect(event.startDate.zone?.tzid).toBe('Europe/Berlin');
    const starts: string[] = [];
    let first: ICAL.Time | undefined;
    const it = event.iterator();
    for (let next = it.next(); next && next.toJSDate().getTime() < Date.parse('2027-01-02T00:00:00Z'); next = it.next()) {
      const d = next.toJSDate().getTime();
      if (d >= Date.parse('2026-10-20T00:00:00Z')) {
        first ??= next;
        starts.push(new Date(d).toISOString());
      }
    }
    // 18:00 CEST is 16:00Z; after the October change 18:00 CET is 17:00Z; Christmas day is excluded.
    expect(starts.slice(0, 2)).toEqual(['2026-10-23T16:00:00.000Z', '2026-10-30T17:00:00.000Z']);
    expect(starts).not.toContain('2026-12-25T17:00:00.000Z');
    expect(starts).toContain('2027-01-01T17:00:00.000Z');
    // DURATION P2DT12H in the event's zone: two wall-clock days, then twelve hours: Monday 06:00 CET.
    const end = event.getOccurrenceDetails(first as ICAL.Time).endDate.toJSDate();
    expect(end.toISOString()).toBe('2026-10-26T05:00:00.000Z');
  });

  it('writes single events in UTC, marks cancelled ones, escapes text', () => {
    const cal = parse(ics);
    const events = cal.getAllSubcomponents('vevent').map((e) => new ICAL.Event(e));
    const p = events.find((e) => e.uid === 'plan-01PLAN@railyard');
    expect(p?.summary).toBe('shop@1.4.0 → prod (planned)');
    expect(p?.startDate.toJSDate().toISOString()).toBe('2026-10-20T08:00:00.000Z');
    const b = events.find((e) => e.uid === 'booking-01BOOK@railyard');
    expect(b?.component.getFirstPropertyValue('status')).toBe('CANCELLED');
    expect(b?.description).toContain('ünïcödé');
    expect(events[0]?.description).toContain('No weekend changes; really, none');
    expect(escapeText('a;b,c\\d\ne')).toBe('a\\;b\\,c\\\\d\\ne');
    expect(foldLine('x'.repeat(80))).toBe(`${'x'.repeat(75)}\r\n ${'x'.repeat(5)}`);
    // Never inside a character: 4-octet emoji and 3-octet arrows stay whole, every physical line <= 75 octets.
    for (const text of ['😀'.repeat(40), `a${'→'.repeat(60)}`, `SUMMARY:${'ü'.repeat(50)}`]) {
      const folded = foldLine(text);
      expect(folded.replaceAll('\r\n ', '')).toBe(text);
      for (const part of folded.split('\r\n')) expect(new TextEncoder().encode(part).length).toBeLessThanOrEqual(75);
    }
  });

  it('is the same text when generated again (stable UIDs and stamps)', () => {
    expect(toIcs({ name: 'Railyard test', events: buildIcsEvents(source, from, to, ALL) })).toBe(ics);
  });

  it('is the same text when written event by event, windows first (as the feed is)', () => {
    const windows = windowIcsEvents(source, from, to, ALL);
    const writer = new IcsWriter({ name: 'Railyard test' }, zonesOf(windows));
    for (const e of windows) writer.add(e);
    eachScheduleIcsEvent(source, ALL, (e) => writer.add(e));
    expect(writer.finish()).toBe(ics);
    const many = Array.from({ length: 600 }, (_, i) => ({ ...plan, id: `01PLAN${i}` }));
    expect(toIcs({ name: 'x', events: buildIcsEvents({ ...source, plans: many }, from, to, ALL) }).match(/BEGIN:VEVENT/g)).toHaveLength(
      600 + 1 + 4,
    );
  });

  it('refuses an event in a time zone it was not started with (its VTIMEZONE would be missing)', () => {
    const writer = new IcsWriter({ name: 'x' }, ['Europe/Berlin']);
    const [weekly] = windowIcsEvents(source, from, to, new Set(['freeze'] as const));
    expect(weekly?.zone).toBe('Europe/Berlin');
    writer.add(weekly as IcsEvent);
    expect(() => writer.add({ ...(weekly as IcsEvent), zone: 'America/New_York' })).toThrow(/America\/New_York/);
  });

  it('filters by kind, and leaves out windows with no occurrence in the range', () => {
    const only = toIcs({
      name: 'x',
      events: buildIcsEvents(source, Date.parse('2026-10-01T00:00:00Z'), Date.parse('2026-11-01T00:00:00Z'), new Set(['freeze'] as const)),
    });
    const uids = parse(only)
      .getAllSubcomponents('vevent')
      .map((e) => e.getFirstPropertyValue('uid'));
    expect(uids).toEqual(['window-01WINDOWWEEKEND-FREEZE@railyard']);
  });
});

describe('agenda', () => {
  it('expands windows in the range and lists releases and bookings by start', () => {
    const items = buildAgenda(source, Date.parse('2026-10-20T00:00:00Z'), Date.parse('2026-10-24T00:00:00Z'), ALL);
    expect(items.filter((i) => i.kind === 'freeze').map((i) => i.start)).toEqual(['2026-10-23T16:00:00.000Z']);
    // 22:00 for 4 hours in UTC (5 overlap the range) and in New York (4).
    expect(items.filter((i) => i.kind === 'allow')).toHaveLength(9);
    expect(items.find((i) => i.kind === 'release')).toMatchObject({ title: 'shop@1.4.0 → prod (planned)', environments: ['prod'] });
    expect(items.map((i) => i.start)).toEqual([...items.map((i) => i.start)].sort());
  });
});

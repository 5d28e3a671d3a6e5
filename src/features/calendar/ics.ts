import { tzlib_get_ical_block } from 'timezones-ical-library';
import { isoOf } from './instant.js';

/**
 * An RFC 5545 iCalendar writer: content lines folded at 75 octets, CRLF line ends, escaped text, a VTIMEZONE
 * for every TZID used (from timezones-ical-library's IANA data). Recurring events keep their RRULE.
 */
export interface IcsEvent {
  /** Stable across regenerations: calendar clients update the event instead of duplicating it. */
  uid: string;
  /** Bumped whenever the event changes. */
  sequence: number;
  /** When the event last changed (DTSTAMP): epoch ms or ISO-8601 UTC. */
  stamp: number | string;
  summary: string;
  description?: string;
  categories?: readonly string[];
  status?: 'CONFIRMED' | 'TENTATIVE' | 'CANCELLED';
  start: number | string;
  /** Exclusive end (epoch ms or ISO-8601 UTC); or give `duration`. */
  end?: number | string;
  /** RFC 5545 DURATION (nominal days), for recurring events. */
  duration?: string;
  /** IANA zone for DTSTART/EXDATE (with `startLocal`); UTC when absent. */
  zone?: string;
  /** DTSTART as local date-time in `zone` (2026-01-02T18:00:00). */
  startLocal?: string;
  rrule?: string;
  /** Local date-times (in `zone`) of excluded occurrences. */
  exdatesLocal?: string[];
}

export interface IcsCalendar {
  name: string;
  description?: string;
  events: readonly IcsEvent[];
}

const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Etc/Universal', 'Universal', 'Zulu', 'Etc/Zulu']);

/** The TZID to write for an IANA zone and its VTIMEZONE block; null for UTC (times are written with Z). */
export function vtimezone(zone: string): { tzid: string; block: string } | null {
  if (UTC_ZONES.has(zone)) return null;
  const found = tzlib_get_ical_block(zone);
  if (!Array.isArray(found) || typeof found[0] !== 'string' || typeof found[1] !== 'string') return null;
  return { tzid: found[1].replace(/^TZID=/, ''), block: found[0] };
}

/**
 * 20261023T160000Z, from epoch ms or an ISO-8601 UTC string. Feeds hold thousands: the 16 characters are
 * picked out of the ISO text and made into one string, no slices to join.
 */
export function utcStamp(time: number | string): string {
  const i = typeof time === 'number' ? isoOf(time) : time.endsWith('Z') && time.length >= 20 ? time : new Date(time).toISOString();
  return String.fromCharCode(
    i.charCodeAt(0),
    i.charCodeAt(1),
    i.charCodeAt(2),
    i.charCodeAt(3),
    i.charCodeAt(5),
    i.charCodeAt(6),
    i.charCodeAt(8),
    i.charCodeAt(9),
    84,
    i.charCodeAt(11),
    i.charCodeAt(12),
    i.charCodeAt(14),
    i.charCodeAt(15),
    i.charCodeAt(17),
    i.charCodeAt(18),
    90,
  );
}

function localStamp(local: string): string {
  return local.slice(0, 19).replaceAll('-', '').replaceAll(':', '');
}

/** TEXT value escaping (RFC 5545 3.3.11). */
export function escapeText(text: string): string {
  if (!/[\\;,\r\n]/.test(text)) return text;
  return text.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, '\\n');
}

/** UTF-8 octets of one UTF-16 code unit (a surrogate pair's two units count 2 + 2). */
function octets(unit: number): number {
  return unit < 0x80 ? 1 : unit < 0x800 ? 2 : unit >= 0xd800 && unit <= 0xdfff ? 2 : 3;
}

/** Folds a content line to at most 75 octets per physical line, never inside a UTF-8 sequence (RFC 5545 3.1). */
export function foldLine(line: string): string {
  // Every UTF-16 unit is at most 3 octets, so short lines need no counting.
  if (line.length <= 25) return line;
  let total = 0;
  for (let i = 0; i < line.length && total <= 75; i++) total += octets(line.charCodeAt(i));
  if (total <= 75) return line;
  let out = '';
  let start = 0;
  let used = 0;
  for (let i = 0; i < line.length; i++) {
    const unit = line.charCodeAt(i);
    // A surrogate pair is one character: move both units together.
    const width = unit >= 0xd800 && unit <= 0xdbff ? 2 : 1;
    const n = width === 2 ? 4 : octets(unit);
    if (used + n > 75) {
      out += `${line.slice(start, i)}\r\n `;
      start = i;
      used = 1;
    }
    used += n;
    i += width - 1;
  }
  return out + line.slice(start);
}

export function toIcs(calendar: IcsCalendar): string {
  const writer = new IcsWriter(calendar, zonesOf(calendar.events));
  for (const e of calendar.events) writer.add(e);
  return writer.finish();
}

/** The time zones events use, in order of first use. */
export function zonesOf(events: readonly IcsEvent[]): string[] {
  return [...new Set(events.flatMap((e) => (e.zone ? [e.zone] : [])))];
}

/**
 * A calendar written one event at a time, so that a feed of tens of thousands of events need not hold them all
 * as objects: each is garbage as soon as it is written. The zones the events use are named up front, since
 * their VTIMEZONEs come first.
 */
export class IcsWriter {
  private readonly chunks: string[];
  private pending: string[] = [];
  private readonly zones = new Map<string, { tzid: string; block: string } | null>();
  /** Events share their CATEGORIES lists: each list's line is made once. */
  private readonly categories = new Map<readonly string[], string>();

  constructor(calendar: Omit<IcsCalendar, 'events'>, zones: Iterable<string>) {
    const lines: string[] = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Railyard//Railyard release calendar//EN',
      'CALSCALE:GREGORIAN',
      'METHOD:PUBLISH',
      `X-WR-CALNAME:${escapeText(calendar.name)}`,
    ];
    if (calendar.description) lines.push(`X-WR-CALDESC:${escapeText(calendar.description)}`);
    for (const zone of zones) if (!this.zones.has(zone)) this.zones.set(zone, vtimezone(zone));
    const written = new Set<string>();
    for (const tz of this.zones.values()) {
      if (!tz || written.has(tz.tzid)) continue;
      written.add(tz.tzid);
      lines.push(...tz.block.split(/\r?\n/).filter((l) => l !== ''));
    }
    this.chunks = [`${lines.map(foldLine).join('\r\n')}\r\n`];
  }

  add(e: IcsEvent): void {
    const tz = e.zone ? this.zones.get(e.zone) : null;
    if (tz === undefined) throw new Error(`time zone ${e.zone} was not named when the calendar was started`);
    this.pending.push(eventText(e, tz, this.categories));
    // An event's text is a tree of a few dozen small strings; joined in batches, they are garbage while still
    // young instead of being copied by every collection until the end of the request.
    if (this.pending.length >= 256) this.flush();
  }

  finish(): string {
    this.flush();
    this.chunks.push('END:VCALENDAR\r\n');
    return this.chunks.join('');
  }

  private flush(): void {
    if (this.pending.length > 0) this.chunks.push(this.pending.join(''));
    this.pending = [];
  }
}

/**
 * One VEVENT as text: lines that cannot exceed 75 octets are written as they are, the others folded. Events
 * share their CATEGORIES lists, so each list's line is made once (`categories`).
 */
function eventText(e: IcsEvent, tz: { tzid: string } | null, categories: Map<readonly string[], string>): string {
  let out = `BEGIN:VEVENT\r\n${line('UID:', e.uid)}SEQUENCE:${e.sequence}\r\nDTSTAMP:${utcStamp(e.stamp)}\r\n`;
  out += tz && e.startLocal ? line(`DTSTART;TZID=${tz.tzid}:`, localStamp(e.startLocal)) : `DTSTART:${utcStamp(e.start)}\r\n`;
  if (e.duration) out += `DURATION:${e.duration}\r\n`;
  else if (e.end !== undefined) out += `DTEND:${utcStamp(e.end)}\r\n`;
  if (e.rrule) out += line('RRULE:', e.rrule);
  if (e.exdatesLocal?.length) {
    out += tz
      ? line(`EXDATE;TZID=${tz.tzid}:`, e.exdatesLocal.map(localStamp).join(','))
      : line('EXDATE:', e.exdatesLocal.map((l) => `${localStamp(l)}Z`).join(','));
  }
  out += line('SUMMARY:', escapeText(e.summary));
  if (e.description) out += line('DESCRIPTION:', escapeText(e.description));
  if (e.categories?.length) {
    let text = categories.get(e.categories);
    if (text === undefined) {
      text = line('CATEGORIES:', e.categories.map(escapeText).join(','));
      categories.set(e.categories, text);
    }
    out += text;
  }
  if (e.status) out += `STATUS:${e.status}\r\n`;
  return `${out}TRANSP:OPAQUE\r\nEND:VEVENT\r\n`;
}

/** The content line `name` + `value` with its CRLF; joined and folded only when it is over 75 octets. */
function line(name: string, value: string): string {
  // Every UTF-16 unit is at most 3 octets, so 25 units always fit; longer lines are counted, not copied.
  if (name.length + value.length <= 25 || octetsUpTo75(name) + octetsUpTo75(value) <= 75) return `${name}${value}\r\n`;
  return `${foldLine(name + value)}\r\n`;
}

/** UTF-8 octets of `text`, counted only until they pass 75. */
function octetsUpTo75(text: string): number {
  let total = 0;
  for (let i = 0; i < text.length && total <= 75; i++) total += octets(text.charCodeAt(i));
  return total;
}

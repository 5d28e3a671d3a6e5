import { tzlib_get_ical_block } from 'timezones-ical-library';

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

/** 20261023T160000Z, from epoch ms or an ISO-8601 UTC string. Feeds hold thousands: slices, no regular expressions. */
export function utcStamp(time: number | string): string {
  const i = typeof time === 'string' && time.endsWith('Z') && time.length >= 20 ? time : new Date(time).toISOString();
  return `${i.slice(0, 4)}${i.slice(5, 7)}${i.slice(8, 10)}T${i.slice(11, 13)}${i.slice(14, 16)}${i.slice(17, 19)}Z`;
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
  const lines: string[] = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Railyard//Railyard release calendar//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(calendar.name)}`,
  ];
  if (calendar.description) lines.push(`X-WR-CALDESC:${escapeText(calendar.description)}`);
  const zones = new Map<string, { tzid: string; block: string } | null>();
  for (const e of calendar.events) if (e.zone && !zones.has(e.zone)) zones.set(e.zone, vtimezone(e.zone));
  const written = new Set<string>();
  for (const tz of zones.values()) {
    if (!tz || written.has(tz.tzid)) continue;
    written.add(tz.tzid);
    lines.push(...tz.block.split(/\r?\n/).filter((l) => l !== ''));
  }
  const chunks = [`${lines.map(foldLine).join('\r\n')}\r\n`];
  for (const e of calendar.events) chunks.push(eventText(e, e.zone ? (zones.get(e.zone) ?? null) : null));
  chunks.push('END:VCALENDAR\r\n');
  return chunks.join('');
}

/** One VEVENT as text: lines that cannot exceed 75 octets are written as they are, the others folded. */
function eventText(e: IcsEvent, tz: { tzid: string } | null): string {
  let out = `BEGIN:VEVENT\r\n${foldLine(`UID:${e.uid}`)}\r\nSEQUENCE:${e.sequence}\r\nDTSTAMP:${utcStamp(e.stamp)}\r\n`;
  out += tz && e.startLocal ? `${foldLine(`DTSTART;TZID=${tz.tzid}:${localStamp(e.startLocal)}`)}\r\n` : `DTSTART:${utcStamp(e.start)}\r\n`;
  if (e.duration) out += `DURATION:${e.duration}\r\n`;
  else if (e.end !== undefined) out += `DTEND:${utcStamp(e.end)}\r\n`;
  if (e.rrule) out += `${foldLine(`RRULE:${e.rrule}`)}\r\n`;
  if (e.exdatesLocal?.length) {
    const line = tz
      ? `EXDATE;TZID=${tz.tzid}:${e.exdatesLocal.map(localStamp).join(',')}`
      : `EXDATE:${e.exdatesLocal.map((l) => `${localStamp(l)}Z`).join(',')}`;
    out += `${foldLine(line)}\r\n`;
  }
  out += `${foldLine(`SUMMARY:${escapeText(e.summary)}`)}\r\n`;
  if (e.description) out += `${foldLine(`DESCRIPTION:${escapeText(e.description)}`)}\r\n`;
  if (e.categories?.length) out += `${foldLine(`CATEGORIES:${e.categories.map(escapeText).join(',')}`)}\r\n`;
  if (e.status) out += `STATUS:${e.status}\r\n`;
  return `${out}TRANSP:OPAQUE\r\nEND:VEVENT\r\n`;
}

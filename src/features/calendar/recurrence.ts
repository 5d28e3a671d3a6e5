import { RRuleTemporal } from 'rrule-temporal';
import { Temporal } from 'temporal-polyfill';
import { isValidTimezone } from '../environments/environment.js';
import { parseRrule } from './rrule-syntax.js';
import type { WindowSpec } from './window.js';

/**
 * Occurrences of windows as UTC instants (epoch milliseconds), computed in the window's time zone by
 * rrule-temporal (RFC 5545 recurrence over Temporal). Durations follow RFC 5545: days and weeks are nominal
 * (wall-clock days, 23 or 25 hours across a DST change), hours, minutes and seconds exact.
 */
export interface Occurrence {
  start: number;
  end: number;
}

export interface CompiledWindow {
  /** The occurrence covering `t` (start <= t < end) that ends last, or null. */
  activeAt(t: number): Occurrence | null;
  /** Occurrences overlapping [from, to), by start; fails past `limit` occurrences instead of running on. Do not modify. */
  between(from: number, to: number, limit?: number): readonly Occurrence[];
  /** Start of the first occurrence starting at or after `t`, or null. */
  nextStart(t: number): number | null;
  /** Whether any occurrence overlaps [from, to). */
  overlaps(from: number, to: number): boolean;
  /** DTSTART as local date-time in the zone (recurring), for ICS. */
  readonly dtstartLocal: string;
  /** Exact starts the exceptions remove (date exceptions resolved to that day's occurrences), for ICS EXDATE. */
  readonly excludedStarts: readonly number[];
}

export interface DurationParts {
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const DAY_MS = 86_400_000;
/** The longest a window occurrence may last. */
const MAX_DURATION_DAYS = 366;
/** Default DTSTART of a rule given without a start: far enough back for any window in use. */
const DEFAULT_DTSTART = '2000-01-01T00:00:00';
export const EXPANSION_LIMIT = 50_000;

/** RFC 5545 DURATION (positive): P2DT12H, PT90M, P1W. Returns the parts or what is wrong. */
export function parseDuration(text: string): DurationParts | string {
  const m = /^P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) {
    return `'${text}' is not an RFC 5545 duration (e.g. P2DT12H, PT2H30M, P1W)`;
  }
  const n = (i: number) => Number(m[i] ?? 0);
  const parts = { days: n(1) * 7 + n(2), hours: n(3), minutes: n(4), seconds: n(5) };
  const exact = parts.hours * 3600 + parts.minutes * 60 + parts.seconds;
  if (parts.days === 0 && exact === 0) return 'a duration must be longer than zero';
  if (parts.days + exact / 86_400 > MAX_DURATION_DAYS) return `a window lasts at most ${MAX_DURATION_DAYS} days`;
  return parts;
}

type TimeInput = { kind: 'instant'; ms: number } | { kind: 'local'; value: string } | { kind: 'date'; value: string };

/** A time as written in railyard.yaml or the API: 2026-12-24, 2026-12-24T18:00 (local) or 2026-12-24T17:00:00Z. */
export function parseTimeInput(text: string): TimeInput | string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    return validPlain(`${text}T00:00:00`) ? { kind: 'date', value: text } : `'${text}' is not a real date`;
  }
  const local = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?$/.exec(text);
  if (local) {
    const value = `${local[1]}${local[2] ?? ':00'}`;
    return validPlain(value) ? { kind: 'local', value } : `'${text}' is not a real time`;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? `'${text}' is not a real time` : { kind: 'instant', ms };
  }
  return `'${text}' is not a time: write 2026-12-24, 2026-12-24T18:00 (in the window's time zone) or 2026-12-24T17:00:00Z`;
}

function validPlain(value: string): boolean {
  try {
    Temporal.PlainDateTime.from(value, { overflow: 'reject' });
    return true;
  } catch {
    return false;
  }
}

/** The instant of a local date-time in a zone; a time skipped by a DST change moves forward (RFC 5545 3.3.5). */
export function instantOf(input: TimeInput, zone: string): number {
  if (input.kind === 'instant') return input.ms;
  const plain = input.kind === 'date' ? `${input.value}T00:00:00` : input.value;
  return Temporal.PlainDateTime.from(plain).toZonedDateTime(zone, { disambiguation: 'compatible' }).epochMilliseconds;
}

function zoned(ms: number, zone: string): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone);
}

/** `2026-10-23T18:00:00`: the wall-clock time of an instant in a zone. */
export function localDateTime(ms: number, zone: string): string {
  return zoned(ms, zone).toPlainDateTime().toString({ smallestUnit: 'second' });
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * Times already formatted, by zone: checks name the same occurrences again and again, and Temporal's zone
 * arithmetic costs tens of microseconds a time. Bounded per zone; the oldest answer goes first.
 */
const formatted = new Map<string, Map<number, string>>();
const FORMATTED_PER_ZONE = 4096;

/** `Fri 2026-10-23 18:00`, for messages. */
export function formatLocal(ms: number, zone: string): string {
  let byTime = formatted.get(zone);
  if (!byTime) {
    byTime = new Map();
    formatted.set(zone, byTime);
  }
  let text = byTime.get(ms);
  if (text === undefined) {
    const z = zoned(ms, zone);
    const hhmm = `${String(z.hour).padStart(2, '0')}:${String(z.minute).padStart(2, '0')}`;
    text = `${WEEKDAYS[z.dayOfWeek - 1]} ${z.toPlainDate().toString()} ${hhmm}`;
    if (byTime.size >= FORMATTED_PER_ZONE) byTime.delete(byTime.keys().next().value as number);
    byTime.set(ms, text);
  }
  return text;
}

export function addDuration(ms: number, d: DurationParts, zone: string): number {
  return zoned(ms, zone).add(d).epochMilliseconds;
}

function basic(local: string): string {
  return local.replaceAll('-', '').replaceAll(':', '');
}

function mustParseDuration(text: string | null): DurationParts {
  const d = parseDuration(text ?? '');
  if (typeof d === 'string') throw new Error(`duration: ${d}`);
  return d;
}

function mustParseTime(text: string): TimeInput {
  const t = parseTimeInput(text);
  if (typeof t === 'string') throw new Error(t);
  return t;
}

/** Compiles a window for one zone. The spec must have passed `windowProblems`. */
export function compileWindow(spec: WindowSpec, zone: string): CompiledWindow {
  return spec.rrule ? compileRecurring(spec, spec.rrule, zone) : compileOneOff(spec, zone);
}

function compileOneOff(spec: WindowSpec, zone: string): CompiledWindow {
  const start = instantOf(mustParseTime(spec.start ?? ''), zone);
  const end = spec.end ? instantOf(mustParseTime(spec.end), zone) : addDuration(start, mustParseDuration(spec.duration), zone);
  const occ = { start, end };
  // An end that is not after the start leaves no occurrence (windowProblems reports it).
  const real = end > start;
  return {
    activeAt: (t) => (real && start <= t && t < end ? occ : null),
    between: (from, to) => (real && start < to && end > from ? [occ] : []),
    nextStart: (t) => (real && start >= t ? start : null),
    overlaps: (from, to) => real && start < to && end > from,
    dtstartLocal: localDateTime(start, zone),
    excludedStarts: [],
  };
}

type Zdt = Temporal.ZonedDateTime;

function compileRecurring(spec: WindowSpec, rrule: string, zone: string): CompiledWindow {
  const duration = mustParseDuration(spec.duration);
  const startInput = spec.start ? mustParseTime(spec.start) : ({ kind: 'local', value: DEFAULT_DTSTART } as const);
  const dtstartLocal =
    startInput.kind === 'instant'
      ? localDateTime(startInput.ms, zone)
      : startInput.kind === 'date'
        ? `${startInput.value}T00:00:00`
        : startInput.value;
  const rruleString = `DTSTART;TZID=${zone}:${basic(dtstartLocal)}\nRRULE:${rrule}`;
  const options = { rruleString, cache: false, maxIterations: 20_000 };
  const exact = spec.exdates.map(mustParseTime);
  const excluded: Zdt[] = [];
  const days = exact.filter((e) => e.kind === 'date').map((e) => e.value);
  if (days.length > 0) {
    // A date exception removes every occurrence starting that local day: find them on the rule without exceptions.
    const raw = new RRuleTemporal(options);
    for (const day of days) {
      const from = instantOf({ kind: 'date', value: day }, zone);
      const to = addDuration(from, { days: 1, hours: 0, minutes: 0, seconds: 0 }, zone);
      for (const z of raw.between(new Date(from), new Date(to - 1), true)) excluded.push(z as Zdt);
    }
  }
  for (const e of exact) {
    if (e.kind !== 'date') excluded.push(zoned(instantOf(e, zone), zone));
  }
  const rule = new RRuleTemporal({ ...options, exDate: excluded });
  const endOf = (z: Zdt) => z.add(duration).epochMilliseconds;
  // An upper bound of one occurrence's length: a nominal day lasts at most 25 hours (26 to be safe).
  const maxSpan = duration.days * 26 * 3_600_000 + duration.hours * 3_600_000 + duration.minutes * 60_000 + duration.seconds * 1000;
  const hourly = parseRrule(rrule);
  const chunk = typeof hourly !== 'string' && hourly.freq === 'HOURLY' ? 300 * DAY_MS : Number.POSITIVE_INFINITY;

  const starting = (from: number, to: number, limit: number): Zdt[] => {
    const out: Zdt[] = [];
    for (let lo = from; lo <= to; lo += chunk) {
      const hi = Math.min(to, lo + chunk - 1);
      for (const z of rule.between(new Date(lo), new Date(hi), true) as Zdt[]) {
        out.push(z);
        if (out.length > limit) throw new Error(`more than ${limit} occurrences in the range`);
      }
      if (!Number.isFinite(chunk)) break;
    }
    return out;
  };

  // Conflict detection and agendas ask for the same ranges again and again while windows stay unchanged.
  // A short list, searched by value: cheaper than making a string key of three numbers on every question.
  const memo: { from: number; to: number; limit: number; occ: Occurrence[] }[] = [];
  const nextMemo = new Map<number, number | null>();
  // "Active at t?" is asked for instants close together (now, then each step to nextOpen): occurrences are kept
  // per 32-day bucket, so most questions are answered without the library.
  const BUCKET = 32 * DAY_MS;
  const buckets = new Map<number, Occurrence[]>();
  const bucketOf = (t: number): Occurrence[] => {
    const b = Math.floor(t / BUCKET);
    let occ = buckets.get(b);
    if (!occ) {
      const from = b * BUCKET;
      occ = starting(from - maxSpan, from + BUCKET - 1, EXPANSION_LIMIT)
        .map((z) => ({ start: z.epochMilliseconds, end: endOf(z) }))
        .filter((o) => o.end > from);
      if (buckets.size >= 64) buckets.delete(buckets.keys().next().value as number);
      buckets.set(b, occ);
    }
    return occ;
  };
  return {
    activeAt(t) {
      let best: Occurrence | null = null;
      for (const o of bucketOf(t)) if (o.start <= t && o.end > t && (best === null || o.end > best.end)) best = o;
      return best;
    },
    between(from, to, limit = EXPANSION_LIMIT) {
      for (const m of memo) if (m.from === from && m.to === to && m.limit === limit) return m.occ;
      const out: Occurrence[] = [];
      for (const z of starting(from - maxSpan, to - 1, limit)) {
        const end = endOf(z);
        if (end > from) out.push({ start: z.epochMilliseconds, end });
      }
      if (memo.length >= 8) memo.shift();
      memo.push({ from, to, limit, occ: out });
      return out;
    },
    nextStart(t) {
      const known = nextMemo.get(t);
      if (known !== undefined) return known;
      // A bucket holds every occurrence starting in it, so one already expanded (a check asks activeAt first)
      // answers when it has an occurrence at or after t; otherwise the library is asked.
      let start: number | null = null;
      for (const o of buckets.get(Math.floor(t / BUCKET)) ?? []) if (o.start >= t && (start === null || o.start < start)) start = o.start;
      if (start === null) {
        const z = rule.next(new Date(t), true) as Zdt | null;
        start = z ? z.epochMilliseconds : null;
      }
      if (nextMemo.size >= 8) nextMemo.delete(nextMemo.keys().next().value as number);
      nextMemo.set(t, start);
      return start;
    },
    overlaps(from, to) {
      return this.between(from, to).length > 0;
    },
    dtstartLocal,
    excludedStarts: excluded.map((z) => z.epochMilliseconds).sort((a, b) => a - b),
  };
}

export interface WindowProblem {
  field: keyof WindowSpec;
  message: string;
}

/**
 * Everything wrong with a window definition, by field: the rule's syntax, the zone, times, the duration, an
 * end before its start, and a window that never occurs. Bounded: never expands a rule without limit.
 */
export function windowProblems(spec: WindowSpec): WindowProblem[] {
  const problems: WindowProblem[] = [];
  const zone = spec.timezone ?? 'UTC';
  if (spec.timezone !== null && !isValidTimezone(spec.timezone)) {
    problems.push({ field: 'timezone', message: `unknown time zone '${spec.timezone}' (use an IANA name such as Europe/Berlin)` });
  }
  if (spec.kind === 'allow' && spec.severity !== 'hard') {
    problems.push({ field: 'severity', message: 'severity applies to freeze windows only' });
  }
  const times: ['start' | 'end', string | null][] = [
    ['start', spec.start],
    ['end', spec.end],
  ];
  for (const [field, value] of times) {
    if (value === null) continue;
    const t = parseTimeInput(value);
    if (typeof t === 'string') problems.push({ field, message: t });
  }
  spec.exdates.forEach((e) => {
    const t = parseTimeInput(e);
    if (typeof t === 'string') problems.push({ field: 'exdates', message: t });
    else if (t.kind !== 'date' && !spec.rrule) problems.push({ field: 'exdates', message: 'exdates apply to recurring windows (rrule)' });
  });
  if (spec.duration !== null) {
    const d = parseDuration(spec.duration);
    if (typeof d === 'string') problems.push({ field: 'duration', message: d });
  }
  if (spec.rrule !== null) {
    const r = parseRrule(spec.rrule);
    if (typeof r === 'string') problems.push({ field: 'rrule', message: `invalid rule: ${r}` });
    else {
      if (r.interval > 1 && spec.start === null) {
        problems.push({
          field: 'rrule',
          message: `INTERVAL=${r.interval} counts from the start: give start so the first occurrence is known`,
        });
      }
      if (r.count !== null && spec.start === null) problems.push({ field: 'rrule', message: 'COUNT counts from the start: give start' });
    }
    if (spec.duration === null) problems.push({ field: 'duration', message: 'a recurring window needs a duration (e.g. P2DT12H)' });
    if (spec.end !== null) problems.push({ field: 'end', message: 'a recurring window has a duration, not an end (use duration)' });
  } else {
    if (spec.start === null) problems.push({ field: 'start', message: 'a window needs an rrule or a start (one-off window)' });
    if (spec.end === null && spec.duration === null)
      problems.push({ field: 'end', message: 'a one-off window needs an end (or a duration)' });
    if (spec.end !== null && spec.duration !== null) problems.push({ field: 'duration', message: 'give an end or a duration, not both' });
  }
  if (problems.length > 0 || !isValidTimezone(zone)) return problems;

  try {
    const compiled = compileWindow(spec, zone);
    if (!spec.rrule) {
      const occ = compiled.between(Number.MIN_SAFE_INTEGER / 2, Number.MAX_SAFE_INTEGER / 2)[0];
      if (!occ) problems.push({ field: 'end', message: `the end (${spec.end}) is not after the start (${spec.start})` });
      else if ((occ.end - occ.start) / DAY_MS > MAX_DURATION_DAYS) {
        problems.push({ field: 'end', message: `a window lasts at most ${MAX_DURATION_DAYS} days` });
      }
    } else {
      const dtstart = instantOf({ kind: 'local', value: compiled.dtstartLocal }, zone);
      if (compiled.nextStart(dtstart - DAY_MS) === null) problems.push({ field: 'rrule', message: 'the window never occurs' });
    }
  } catch (error) {
    const message = (error as Error).message;
    problems.push(
      /iteration|candidate/i.test(message)
        ? { field: 'rrule', message: 'the window never occurs (no occurrence found within the search limit)' }
        : { field: 'rrule', message: `invalid rule: ${message}` },
    );
  }
  return problems;
}

/**
 * Compiled windows by definition and zone. Compiling parses the rule and sets up the library; windows change
 * rarely, so services keep one of these for the life of the process.
 */
export class WindowCompiler {
  private readonly cache = new Map<string, CompiledWindow>();
  /** The same spec object asks again and again (services keep their window lists): skip building the key. */
  private readonly bySpec = new WeakMap<WindowSpec, Map<string, CompiledWindow>>();
  constructor(private readonly capacity = 5000) {}

  get(spec: WindowSpec, zone: string): CompiledWindow {
    let zones = this.bySpec.get(spec);
    const known = zones?.get(zone);
    if (known) return known;
    const compiled = this.byDefinition(spec, zone);
    if (!zones) {
      zones = new Map();
      this.bySpec.set(spec, zones);
    }
    zones.set(zone, compiled);
    return compiled;
  }

  private byDefinition(spec: WindowSpec, zone: string): CompiledWindow {
    const key = `${zone}\u0000${spec.rrule}\u0000${spec.start}\u0000${spec.end}\u0000${spec.duration}\u0000${spec.exdates.join(',')}`;
    let compiled = this.cache.get(key);
    if (!compiled) {
      compiled = compileWindow(spec, zone);
      if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, compiled);
    }
    return compiled;
  }
}

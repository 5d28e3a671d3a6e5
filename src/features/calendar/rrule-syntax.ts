/**
 * A strict check of an RFC 5545 RRULE value (section 3.3.10) before the recurrence library sees it: the
 * library accepts unknown parts and out-of-range numbers silently, which would turn a typo into a window that
 * never or always applies.
 */
const DAY = '(MO|TU|WE|TH|FR|SA|SU)';
const INT_LIST = (min: number, max: number, signed: boolean) => ({ min, max, signed });
const NUMERIC: Record<string, { min: number; max: number; signed: boolean }> = {
  BYSECOND: INT_LIST(0, 60, false),
  BYMINUTE: INT_LIST(0, 59, false),
  BYHOUR: INT_LIST(0, 23, false),
  BYMONTHDAY: INT_LIST(1, 31, true),
  BYYEARDAY: INT_LIST(1, 366, true),
  BYWEEKNO: INT_LIST(1, 53, true),
  BYMONTH: INT_LIST(1, 12, false),
  BYSETPOS: INT_LIST(1, 366, true),
};
const FREQS = ['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];
/** Windows recur at most hourly: finer rules are not windows, and they would make expansions huge. */
const ALLOWED_FREQS = ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];
const KNOWN = ['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'WKST', ...Object.keys(NUMERIC)];

export interface ParsedRrule {
  parts: Map<string, string>;
  freq: string;
  interval: number;
  count: number | null;
  until: string | null;
}

/** Returns the parsed parts, or the first problem with the rule as a sentence. */
export function parseRrule(value: string): ParsedRrule | string {
  const text = value.trim().replace(/^RRULE:/i, '');
  if (/[\r\n]/.test(text)) {
    return 'write only the RRULE value (FREQ=…); DTSTART goes in start, EXDATE in exdates, the zone in timezone';
  }
  if (text === '') return 'is empty (write e.g. FREQ=WEEKLY;BYDAY=FR;BYHOUR=18)';
  const parts = new Map<string, string>();
  for (const piece of text.split(';')) {
    const eq = piece.indexOf('=');
    const name = (eq < 0 ? piece : piece.slice(0, eq)).trim().toUpperCase();
    const val =
      eq < 0
        ? ''
        : piece
            .slice(eq + 1)
            .trim()
            .toUpperCase();
    if (name === 'DTSTART' || name === 'TZID') return `${name} is not part of an RRULE: use the window's start and timezone`;
    if (!KNOWN.includes(name)) return `unknown rule part '${name}' (known: ${KNOWN.join(', ')})`;
    if (eq < 0 || val === '') return `${name} needs a value (${name}=…)`;
    if (parts.has(name)) return `${name} is given twice`;
    parts.set(name, val);
  }
  const freq = parts.get('FREQ');
  if (!freq) return 'FREQ is required (e.g. FREQ=WEEKLY)';
  if (!FREQS.includes(freq)) return `FREQ=${freq} is not a frequency (use ${ALLOWED_FREQS.join(', ')})`;
  if (!ALLOWED_FREQS.includes(freq)) return `FREQ=${freq} is finer than windows allow: windows recur at most hourly`;
  const interval = parts.has('INTERVAL') ? Number(parts.get('INTERVAL')) : 1;
  if (!/^\d+$/.test(parts.get('INTERVAL') ?? '1') || interval < 1 || interval > 1000)
    return 'INTERVAL must be a whole number from 1 to 1000';
  let count: number | null = null;
  if (parts.has('COUNT')) {
    count = Number(parts.get('COUNT'));
    if (!/^\d+$/.test(parts.get('COUNT') ?? '') || count < 1 || count > 100_000) return 'COUNT must be a whole number from 1 to 100000';
  }
  const until = parts.get('UNTIL') ?? null;
  if (until !== null) {
    if (count !== null) return 'COUNT and UNTIL cannot both be given';
    if (!/^\d{8}(T\d{6}Z)?$/.test(until)) return `UNTIL=${until} must be a UTC time such as 20261231T230000Z (or a date, 20261231)`;
    if (!realDate(until)) return `UNTIL=${until} is not a real date`;
  }
  for (const [name, spec] of Object.entries(NUMERIC)) {
    const v = parts.get(name);
    if (v === undefined) continue;
    for (const item of v.split(',')) {
      const m = /^([+-])?(\d{1,3})$/.exec(item);
      const n = m ? Number(m[2]) : Number.NaN;
      if (!m || (m[1] && !spec.signed) || n < spec.min || n > spec.max) {
        return `${name}=${v}: '${item}' is not ${spec.signed ? '±' : ''}${spec.min}..${spec.max}`;
      }
    }
  }
  const byday = parts.get('BYDAY');
  if (byday !== undefined) {
    for (const item of byday.split(',')) {
      const m = new RegExp(`^([+-]?\\d{1,2})?${DAY}$`).exec(item);
      if (!m) return `BYDAY=${byday}: '${item}' is not a weekday (MO, TU, WE, TH, FR, SA, SU, optionally with a number: 1MO, -1FR)`;
      const n = m[1] === undefined ? null : Number(m[1]);
      if (n !== null && (n === 0 || Math.abs(n) > 53)) return `BYDAY=${byday}: '${item}' has an ordinal outside ±1..53`;
      if (n !== null && freq !== 'MONTHLY' && freq !== 'YEARLY') return `BYDAY=${byday}: a numbered weekday needs FREQ=MONTHLY or YEARLY`;
    }
  }
  const wkst = parts.get('WKST');
  if (wkst !== undefined && !new RegExp(`^${DAY}$`).test(wkst)) return `WKST=${wkst} is not a weekday`;
  if (parts.has('BYWEEKNO') && freq !== 'YEARLY') return 'BYWEEKNO needs FREQ=YEARLY';
  if (parts.has('BYYEARDAY') && ['DAILY', 'WEEKLY', 'MONTHLY'].includes(freq)) return `BYYEARDAY cannot be used with FREQ=${freq}`;
  if (parts.has('BYMONTHDAY') && freq === 'WEEKLY') return 'BYMONTHDAY cannot be used with FREQ=WEEKLY';
  return { parts, freq, interval, count, until };
}

function realDate(basic: string): boolean {
  const y = Number(basic.slice(0, 4));
  const mo = Number(basic.slice(4, 6));
  const d = Number(basic.slice(6, 8));
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

import Type, { type Static } from 'typebox';
import { KEY_PATTERN } from '../products/product.js';
import type { CompiledWindow } from './recurrence.js';
import { normalizeWindow, type WindowSpec } from './window.js';

/**
 * A release cadence of a product or train ("every second Tuesday"): the dates Railyard proposes for its next
 * releases, skipping those a freeze or a full environment makes impossible.
 */
export const CadenceSchema = Type.Object(
  {
    rrule: Type.String({ minLength: 1, description: 'RFC 5545 RRULE, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;BYHOUR=10.' }),
    start: Type.String({ minLength: 1, description: 'First release (DTSTART), local time in the time zone, e.g. 2026-01-06T10:00.' }),
    timezone: Type.Optional(Type.String({ minLength: 1, description: 'IANA zone of the times (default: the environment’s).' })),
    duration: Type.Optional(Type.String({ minLength: 1, description: 'How long a release slot lasts (RFC 5545 duration, default PT2H).' })),
    environment: Type.Optional(
      Type.String({ pattern: KEY_PATTERN, description: 'Environment released into (default: the last of the track).' }),
    ),
  },
  { additionalProperties: false, description: 'Release cadence: Railyard proposes the next dates, skipping freezes.' },
);

export type Cadence = Static<typeof CadenceSchema>;

export const DEFAULT_CADENCE_DURATION = 'PT2H';

/** A cadence is checked and expanded as a recurring window would be. */
export function cadenceAsWindow(owner: string, c: Cadence): WindowSpec {
  return normalizeWindow({
    key: `cadence:${owner}`,
    kind: 'allow',
    rrule: c.rrule,
    start: c.start,
    timezone: c.timezone,
    duration: c.duration ?? DEFAULT_CADENCE_DURATION,
  });
}

export interface Proposal {
  start: string;
  end: string;
}

export interface Skipped extends Proposal {
  reason: string;
}

/** How many cadence dates are looked at before giving up on finding `count` free ones. */
const MAX_EXAMINED = 500;

/** The next `count` occurrences of the cadence in [from, until) that `blockedBy` has no objection to. */
export function proposeDates(
  cadence: CompiledWindow,
  from: number,
  until: number,
  count: number,
  blockedBy: (start: number, end: number) => string | null,
): { items: Proposal[]; skipped: Skipped[] } {
  const items: Proposal[] = [];
  const skipped: Skipped[] = [];
  let t = from;
  for (let examined = 0; examined < MAX_EXAMINED && items.length < count; examined++) {
    const start = cadence.nextStart(t);
    if (start === null || start >= until) break;
    const occ = cadence.activeAt(start);
    const end = occ ? occ.end : start;
    const slot = { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
    const reason = blockedBy(start, end);
    if (reason === null) items.push(slot);
    else skipped.push({ ...slot, reason });
    t = start + 1;
  }
  return { items, skipped };
}

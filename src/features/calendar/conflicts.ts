import semver from 'semver';
import {
  type ConflictInput,
  cmp,
  coveredUntil,
  firstEndingAfter,
  type IndexedWindow,
  lastStartBefore,
  ScheduleIndex,
  type Slot,
  SUGGESTION_HORIZON_MS,
} from './schedule-index.js';

/**
 * Schedule conflicts across the portfolio, found with sorted occurrence arrays, binary search and a sweep
 * per environment (no pairwise comparison of everything with everything):
 * - `overbooked`: bookings of one environment overlap beyond its concurrency (each pair sharing such a moment);
 * - `freeze`: a planned release window or booking overlaps a blocking freeze that applies to it (soft freezes
 *   and the parts an approved override covers do not count);
 * - `outside_window`: the environment has maintenance (allow) windows for the product and the slot is not
 *   inside them;
 * - `dependency`: a release is planned into an environment before a product it depends on (a version in the
 *   range) has been deployed or planned to end there;
 * - `train`: the planned windows of one train's releases in an environment share no common time.
 * Each conflict names both parties and, where one exists, the next free slot for the one to move.
 */
export const CONFLICT_KINDS = ['overbooked', 'freeze', 'outside_window', 'dependency', 'train'] as const;
export type ConflictKind = (typeof CONFLICT_KINDS)[number];

export interface ConflictParty {
  type: 'plan' | 'booking' | 'window' | 'product';
  key: string;
  id: string | null;
  start: string | null;
  end: string | null;
}

export interface Conflict {
  kind: ConflictKind;
  environment: string;
  a: ConflictParty;
  b: ConflictParty;
  from: string;
  to: string;
  message: string;
  /** The next free slot of the same length for `a` (for `overbooked`, the later booking `b`), or null. */
  suggestion: { start: string; end: string } | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Checks slots against windows and bookings over [rangeFrom, rangeTo): for proposing dates. */
export function slotChecker(
  input: ConflictInput,
  rangeFrom: number,
  rangeTo: number,
): (product: string, environment: string, start: number, end: number) => string | null {
  const cal = new ScheduleIndex(input, rangeFrom, rangeTo);
  return (product, environment, start, end) => cal.blockedBy(product, environment, start, end);
}

const parties = new WeakMap<Slot, ConflictParty>();
/** A slot as a party of a conflict (one object per slot: a slot often takes part in several). */
function slotParty(s: Slot): ConflictParty {
  let party = parties.get(s);
  if (!party) {
    party = { type: s.type, key: s.release, id: s.id, start: iso(s.start), end: iso(s.end) };
    parties.set(s, party);
  }
  return party;
}

export function detectConflicts(input: ConflictInput): Conflict[] {
  const slots = input.slots.filter((s) => s.end > input.from && s.start < input.to);
  if (slots.length === 0) return [];
  const rangeFrom = Math.min(...slots.map((s) => s.start));
  const rangeTo = Math.max(...slots.map((s) => s.end)) + SUGGESTION_HORIZON_MS;
  const cal = new ScheduleIndex({ ...input, slots: input.slots }, rangeFrom, rangeTo);
  const out: Conflict[] = [];
  overbooked(input, slots, cal, out);
  for (const s of slots) calendarConflicts(input, s, cal, out);
  dependencies(input, slots, cal, out);
  trains(slots, cal, out);
  return out.sort(
    (x, y) =>
      cmp(x.from, y.from) || cmp(x.kind, y.kind) || cmp(x.a.id ?? x.a.key, y.a.id ?? y.a.key) || cmp(x.b.id ?? x.b.key, y.b.id ?? y.b.key),
  );
}

function overbooked(input: ConflictInput, slots: readonly Slot[], cal: ScheduleIndex, out: Conflict[]): void {
  const inRange = new Set(slots.map((s) => s.id));
  const envs = new Set(slots.filter((s) => s.type === 'booking').map((s) => s.environment));
  for (const env of envs) {
    const capacity = input.environments.get(env)?.concurrency ?? 1;
    const bookings = cal.bookings(env);
    const events: [number, number, Slot][] = [];
    for (const b of bookings) {
      if (b.end <= b.start) continue;
      events.push([b.start, 1, b], [b.end, -1, b]);
    }
    // Ends before starts at the same instant: [a, b) and [b, c) do not overlap.
    events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const active = new Set<Slot>();
    const seen = new Set<string>();
    for (let i = 0; i < events.length; ) {
      const time = events[i]?.[0] as number;
      for (; i < events.length && events[i]?.[0] === time; i++) {
        const [, delta, b] = events[i] as [number, number, Slot];
        if (delta > 0) active.add(b);
        else active.delete(b);
      }
      if (active.size <= capacity) continue;
      const list = [...active].sort((x, y) => x.start - y.start || cmp(x.id, y.id));
      for (let p = 0; p < list.length; p++) {
        for (let q = p + 1; q < list.length; q++) {
          const a = list[p] as Slot;
          const b = list[q] as Slot;
          const id = `${a.id}|${b.id}`;
          if (seen.has(id) || !(inRange.has(a.id) || inRange.has(b.id))) continue;
          seen.add(id);
          out.push({
            kind: 'overbooked',
            environment: env,
            a: slotParty(a),
            b: slotParty(b),
            from: iso(Math.max(a.start, b.start)),
            to: iso(Math.min(a.end, b.end)),
            message: `${env} is booked for ${a.release} and ${b.release} at the same time (concurrency ${capacity})`,
            suggestion: cal.freeSlot(b, b.start),
          });
        }
      }
    }
  }
}

function overrideCovers(input: ConflictInput, s: Slot, window: string, from: number, to: number): boolean {
  return input.overrides.some(
    (o) =>
      o.window === window &&
      o.environment === s.environment &&
      (o.product === null || o.product === s.product) &&
      o.start <= from &&
      o.end >= to,
  );
}

function calendarConflicts(input: ConflictInput, s: Slot, cal: ScheduleIndex, out: Conflict[]): void {
  const { all: windows, allows, allowIndexes } = cal.windowsFor(s.product, s.environment);
  for (const w of windows) {
    if (w.spec.kind !== 'freeze') continue;
    const last = lastStartBefore(w.index.starts, s.end, false);
    for (let j = firstEndingAfter(w.index.prefixMaxEnd, s.start); j <= last; j++) {
      const os = w.index.starts[j] as number;
      const oe = w.index.ends[j] as number;
      if (oe <= s.start) continue;
      const from = Math.max(s.start, os);
      const to = Math.min(s.end, oe);
      if (overrideCovers(input, s, w.spec.key, from, to)) continue;
      out.push({
        kind: 'freeze',
        environment: s.environment,
        a: slotParty(s),
        b: { type: 'window', key: w.spec.key, id: null, start: iso(os), end: iso(oe) },
        from: iso(from),
        to: iso(to),
        message: `${s.release} is ${s.type === 'plan' ? 'planned' : 'booked'} into ${s.environment} during freeze '${w.spec.key}'${
          w.spec.reason ? ` (${w.spec.reason})` : ''
        }`,
        suggestion: cal.freeSlot(s, s.start),
      });
      break;
    }
  }
  if (allows.length === 0) return;
  const until = coveredUntil(allowIndexes, s.start);
  if (until >= s.end) return;
  const first = allows[0] as IndexedWindow;
  out.push({
    kind: 'outside_window',
    environment: s.environment,
    a: slotParty(s),
    b: { type: 'window', key: first.spec.key, id: null, start: null, end: null },
    from: iso(until),
    to: iso(s.end),
    message: `${s.release} is ${s.type === 'plan' ? 'planned' : 'booked'} into ${s.environment} outside its maintenance windows (${allows
      .map((w) => w.spec.key)
      .join(', ')})`,
    suggestion: cal.freeSlot(s, s.start),
  });
}

function dependencies(input: ConflictInput, slots: readonly Slot[], cal: ScheduleIndex, out: Conflict[]): void {
  const byProductEnv = new Map<string, Slot[]>();
  for (const s of input.slots) {
    const key = `${s.product}|${s.environment}`;
    const list = byProductEnv.get(key) ?? [];
    list.push(s);
    byProductEnv.set(key, list);
  }
  for (const list of byProductEnv.values()) list.sort((a, b) => a.end - b.end || cmp(a.id, b.id));
  for (const s of slots) {
    for (const dep of input.products.get(s.product)?.dependsOn ?? []) {
      const key = `${dep.product}|${s.environment}`;
      const fits = (v: string) => semver.satisfies(v, dep.range, { includePrerelease: true });
      if ((input.deployed.get(key) ?? []).some(fits)) continue;
      const candidates = (byProductEnv.get(key) ?? []).filter((d) => fits(d.version));
      if (candidates.some((d) => d.end <= s.start)) continue;
      const first = candidates[0];
      out.push({
        kind: 'dependency',
        environment: s.environment,
        a: slotParty(s),
        b: first ? slotParty(first) : { type: 'product', key: dep.product, id: null, start: null, end: null },
        from: iso(s.start),
        to: iso(first ? Math.max(first.end, s.start) : s.end),
        message: first
          ? `${s.release} reaches ${s.environment} before ${first.release}, which it needs (${dep.product} ${dep.range}), has finished there`
          : `${s.release} needs ${dep.product} ${dep.range} in ${s.environment}, which is neither deployed nor planned there`,
        suggestion: first ? cal.freeSlot(s, Math.max(s.start, first.end)) : null,
      });
    }
  }
}

function trains(slots: readonly Slot[], cal: ScheduleIndex, out: Conflict[]): void {
  const groups = new Map<string, Slot[]>();
  for (const s of slots) {
    if (s.type !== 'plan' || s.train === null) continue;
    const key = `${s.train}|${s.environment}`;
    const list = groups.get(key) ?? [];
    list.push(s);
    groups.set(key, list);
  }
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    // Intervals share a common moment exactly when the latest start is before the earliest end.
    const latest = list.reduce((x, y) => (y.start > x.start || (y.start === x.start && y.id < x.id) ? y : x));
    const earliest = list.reduce((x, y) => (y.end < x.end || (y.end === x.end && y.id < x.id) ? y : x));
    if (latest.start < earliest.end) continue;
    out.push({
      kind: 'train',
      environment: latest.environment,
      a: slotParty(earliest),
      b: slotParty(latest),
      from: iso(earliest.end),
      to: iso(latest.start),
      message: `train ${latest.train}: ${earliest.release} and ${latest.release} are planned into ${latest.environment} at times that do not overlap`,
      suggestion: cal.freeSlot(earliest, latest.start),
    });
  }
}

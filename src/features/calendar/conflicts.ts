import semver from 'semver';
import { isoOf, parseIso } from './instant.js';
import {
  type ConflictInput,
  cmp,
  coveredUntil,
  firstEndingAfter,
  type IndexedWindow,
  lastStartBefore,
  type OccIndex,
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

/** Checks slots against windows and bookings over [rangeFrom, rangeTo): for proposing dates. */
export function slotChecker(
  input: ConflictInput,
  rangeFrom: number,
  rangeTo: number,
): (product: string, environment: string, start: number, end: number) => string | null {
  const cal = new ScheduleIndex(input, rangeFrom, rangeTo);
  return (product, environment, start, end) => cal.blockedBy(product, environment, start, end);
}

/** Parties made once per detection: a slot or a window occurrence often takes part in several conflicts. */
class Parties {
  private readonly bySlot = new Map<Slot, ConflictParty>();
  private readonly byOccurrence = new Map<OccIndex, ConflictParty[]>();

  slot(s: Slot): ConflictParty {
    let party = this.bySlot.get(s);
    if (!party) {
      party = { type: s.type, key: s.release, id: s.id, start: isoOf(s.start), end: isoOf(s.end) };
      this.bySlot.set(s, party);
    }
    return party;
  }

  /** `isoOf(ms)`, reusing the slot's own text when `ms` is one of its ends (most conflicts start or end with it). */
  isoAt(s: Slot, ms: number): string {
    const party = this.slot(s);
    return ms === s.start ? (party.start as string) : ms === s.end ? (party.end as string) : isoOf(ms);
  }

  /** Occurrence `j` of a window. */
  window(key: string, index: OccIndex, j: number): ConflictParty {
    let list = this.byOccurrence.get(index);
    if (!list) {
      list = [];
      this.byOccurrence.set(index, list);
    }
    let party = list[j];
    if (!party) {
      party = { type: 'window', key, id: null, start: isoOf(index.starts[j] as number), end: isoOf(index.ends[j] as number) };
      list[j] = party;
    }
    return party;
  }
}

export function detectConflicts(input: ConflictInput): Conflict[] {
  const slots = input.slots.filter((s) => s.end > input.from && s.start < input.to);
  if (slots.length === 0) return [];
  let rangeFrom = Number.POSITIVE_INFINITY;
  let rangeTo = Number.NEGATIVE_INFINITY;
  for (const s of slots) {
    rangeFrom = Math.min(rangeFrom, s.start);
    rangeTo = Math.max(rangeTo, s.end + SUGGESTION_HORIZON_MS);
  }
  const cal = new ScheduleIndex({ ...input, slots: input.slots }, rangeFrom, rangeTo);
  const out: Conflict[] = [];
  const parties = new Parties();
  overbooked(input, slots, cal, parties, out);
  for (const s of slots) calendarConflicts(input, s, cal, parties, out);
  dependencies(input, slots, cal, parties, out);
  trains(slots, cal, parties, out);
  return sorted(out);
}

/**
 * By start, kind, then the parties' ids or keys. Starts are compared as instants when both are in the
 * fixed-width form isoOf writes for years 0000-9999, where instant order is text order: the same result as
 * comparing the text, without comparing thousands of strings character by character.
 */
function sorted(out: Conflict[]): Conflict[] {
  const at = out.map((c) => (c.from.length === 24 ? parseIso(c.from) : Number.NaN));
  const order = out.map((_, i) => i);
  order.sort((i, j) => {
    const x = out[i] as Conflict;
    const y = out[j] as Conflict;
    const p = at[i] as number;
    const q = at[j] as number;
    return (
      (Number.isNaN(p) || Number.isNaN(q) ? cmp(x.from, y.from) : p - q) ||
      cmp(x.kind, y.kind) ||
      cmp(x.a.id ?? x.a.key, y.a.id ?? y.a.key) ||
      cmp(x.b.id ?? x.b.key, y.b.id ?? y.b.key)
    );
  });
  return order.map((i) => out[i] as Conflict);
}

function overbooked(input: ConflictInput, slots: readonly Slot[], cal: ScheduleIndex, parties: Parties, out: Conflict[]): void {
  // Slot ids are unique, so "some slot with this id is in range" is "this slot is in range".
  const inRange = (s: Slot) => s.end > input.from && s.start < input.to;
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
          if (seen.has(id) || !(inRange(a) || inRange(b))) continue;
          seen.add(id);
          out.push({
            kind: 'overbooked',
            environment: env,
            a: parties.slot(a),
            b: parties.slot(b),
            from: parties.isoAt(b, Math.max(a.start, b.start)),
            to: parties.isoAt(a, Math.min(a.end, b.end)),
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

function calendarConflicts(input: ConflictInput, s: Slot, cal: ScheduleIndex, parties: Parties, out: Conflict[]): void {
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
        a: parties.slot(s),
        b: parties.window(w.spec.key, w.index, j),
        from: parties.isoAt(s, from),
        to: parties.isoAt(s, to),
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
    a: parties.slot(s),
    b: { type: 'window', key: first.spec.key, id: null, start: null, end: null },
    from: parties.isoAt(s, until),
    to: parties.isoAt(s, s.end),
    message: `${s.release} is ${s.type === 'plan' ? 'planned' : 'booked'} into ${s.environment} outside its maintenance windows (${allows
      .map((w) => w.spec.key)
      .join(', ')})`,
    suggestion: cal.freeSlot(s, s.start),
  });
}

function dependencies(input: ConflictInput, slots: readonly Slot[], cal: ScheduleIndex, parties: Parties, out: Conflict[]): void {
  // Only products something depends on are looked up by environment: a tenth of the slots, not all of them.
  const needed = new Set<string>();
  for (const p of input.products.values()) for (const dep of p.dependsOn) needed.add(dep.product);
  if (needed.size === 0) return;
  const byProductEnv = new Map<string, Slot[]>();
  for (const s of input.slots) {
    if (!needed.has(s.product)) continue;
    const key = `${s.product}|${s.environment}`;
    const list = byProductEnv.get(key) ?? [];
    list.push(s);
    byProductEnv.set(key, list);
  }
  for (const list of byProductEnv.values()) list.sort((a, b) => a.end - b.end || cmp(a.id, b.id));
  const satisfies = versionTester();
  for (const s of slots) {
    for (const dep of input.products.get(s.product)?.dependsOn ?? []) {
      const key = `${dep.product}|${s.environment}`;
      if (someFits(input.deployed.get(key), dep.range, satisfies)) continue;
      // By end: the first planned version that fits ends first, so if any ends in time, it does.
      let first: Slot | undefined;
      for (const d of byProductEnv.get(key) ?? []) {
        if (satisfies(d.version, dep.range)) {
          first = d;
          break;
        }
      }
      if (first && first.end <= s.start) continue;
      out.push({
        kind: 'dependency',
        environment: s.environment,
        a: parties.slot(s),
        b: first ? parties.slot(first) : { type: 'product', key: dep.product, id: null, start: null, end: null },
        from: parties.isoAt(s, s.start),
        to: parties.isoAt(s, first ? Math.max(first.end, s.start) : s.end),
        message: first
          ? `${s.release} reaches ${s.environment} before ${first.release}, which it needs (${dep.product} ${dep.range}), has finished there`
          : `${s.release} needs ${dep.product} ${dep.range} in ${s.environment}, which is neither deployed nor planned there`,
        suggestion: first ? cal.freeSlot(s, Math.max(s.start, first.end)) : null,
      });
    }
  }
}

function someFits(versions: readonly string[] | undefined, range: string, satisfies: (version: string, range: string) => boolean): boolean {
  for (const v of versions ?? []) if (satisfies(v, range)) return true;
  return false;
}

/**
 * `semver.satisfies(version, range, { includePrerelease: true })`, remembering each answer: it parses the range
 * and the version on every call, and a portfolio asks about the same few pairs thousands of times.
 */
function versionTester(): (version: string, range: string) => boolean {
  const answers = new Map<string, Map<string, boolean>>();
  return (version, range) => {
    let byVersion = answers.get(range);
    if (!byVersion) {
      byVersion = new Map();
      answers.set(range, byVersion);
    }
    let fits = byVersion.get(version);
    if (fits === undefined) {
      fits = semver.satisfies(version, range, { includePrerelease: true });
      byVersion.set(version, fits);
    }
    return fits;
  };
}

function trains(slots: readonly Slot[], cal: ScheduleIndex, parties: Parties, out: Conflict[]): void {
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
      a: parties.slot(earliest),
      b: parties.slot(latest),
      from: parties.isoAt(earliest, earliest.end),
      to: parties.isoAt(latest, latest.start),
      message: `train ${latest.train}: ${earliest.release} and ${latest.release} are planned into ${latest.environment} at times that do not overlap`,
      suggestion: cal.freeSlot(earliest, latest.start),
    });
  }
}

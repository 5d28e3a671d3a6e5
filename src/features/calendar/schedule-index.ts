import { isoOf } from './instant.js';
import type { CompiledWindow, Occurrence } from './recurrence.js';
import { appliesTo, type Subject, type WindowSpec, zoneFor } from './window.js';

/**
 * The schedule as sorted arrays: each window's occurrences over a range (with a running maximum of their ends,
 * so "does anything overlap [s, e)" is two binary searches), the windows that apply to each product in each
 * environment, and the bookings of each environment. Conflict detection and date proposals query it.
 */
export interface Slot {
  id: string;
  type: 'plan' | 'booking';
  /** PRODUCT@VERSION */
  release: string;
  product: string;
  version: string;
  train: string | null;
  environment: string;
  start: number;
  end: number;
}

export interface EnvironmentInfo {
  key: string;
  concurrency: number;
  timezone: string;
  tags: readonly string[];
}

export interface ProductInfo {
  key: string;
  tags: readonly string[];
  dependsOn: readonly { product: string; range: string }[];
}

export interface OverrideInfo {
  window: string;
  environment: string;
  product: string | null;
  start: number;
  end: number;
}

export interface ConflictInput {
  slots: readonly Slot[];
  environments: ReadonlyMap<string, EnvironmentInfo>;
  products: ReadonlyMap<string, ProductInfo>;
  windows: readonly WindowSpec[];
  compile(spec: WindowSpec, zone: string): CompiledWindow;
  overrides: readonly OverrideInfo[];
  /** Versions deployed successfully: `product|environment` → versions. */
  deployed: ReadonlyMap<string, readonly string[]>;
  from: number;
  to: number;
}

/** How far after a conflict the next free slot is looked for. */
export const SUGGESTION_HORIZON_MS = 120 * 86_400_000;

/** Bytewise order (ids and ISO times sort that way; localeCompare is slower and locale-dependent). */
export const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface OccIndex {
  starts: number[];
  ends: number[];
  /** prefixMaxEnd[i] = max(ends[0..i]): with starts sorted, answers "does anything starting before x reach past y". */
  prefixMaxEnd: number[];
}

export interface IndexedWindow {
  spec: WindowSpec;
  index: OccIndex;
}

/** The windows applying to one product in one environment, split by kind. */
interface Applicable {
  all: IndexedWindow[];
  freezes: OccIndex[];
  allows: IndexedWindow[];
  allowIndexes: OccIndex[];
}

/**
 * The windows of one environment: those that apply whatever the product (`shared`), and those whose scope or
 * tags depend on it. Most products meet none of the latter, so they share one `Applicable` per environment.
 */
interface EnvironmentWindows {
  indexed: IndexedWindow[];
  dependent: IndexedWindow[];
  /** Products the dependent windows name: any other product without tags gets `shared`. */
  named: Set<string>;
  shared: Applicable;
  byProduct: Map<string, Applicable>;
  subject: Subject;
}

function applicable(all: IndexedWindow[]): Applicable {
  const allows = all.filter((w) => w.spec.kind === 'allow');
  const freezes = all.filter((w) => w.spec.kind === 'freeze').map((w) => w.index);
  return { all, freezes, allows, allowIndexes: allows.map((w) => w.index) };
}

type Suggestion = { start: string; end: string } | null;

/**
 * Compiled windows hand out the same occurrence array while asked for the same range, so its sorted arrays are
 * kept with it (never modified) instead of being rebuilt on every detection.
 */
const occIndexes = new WeakMap<readonly Occurrence[], OccIndex>();
function occIndexOf(occ: readonly Occurrence[]): OccIndex {
  let idx = occIndexes.get(occ);
  if (!idx) {
    const prefixMaxEnd: number[] = [];
    let max = Number.NEGATIVE_INFINITY;
    for (const o of occ) {
      max = Math.max(max, o.end);
      prefixMaxEnd.push(max);
    }
    idx = { starts: occ.map((o) => o.start), ends: occ.map((o) => o.end), prefixMaxEnd };
    occIndexes.set(occ, idx);
  }
  return idx;
}

/** Last index with starts[i] < x (or <= x when inclusive), or -1. */
export function lastStartBefore(starts: readonly number[], x: number, inclusive: boolean): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid] as number) < x || (inclusive && starts[mid] === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** First index j whose prefixMaxEnd exceeds x: the first occurrence ending after x. */
export function firstEndingAfter(prefix: readonly number[], x: number): number {
  let lo = 0;
  let hi = prefix.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((prefix[mid] as number) > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The latest end among occurrences overlapping [s, e), or -Infinity when none does: two binary searches. */
function overlapEnd(idx: OccIndex, s: number, e: number): number {
  const last = lastStartBefore(idx.starts, e, false);
  return last >= 0 && (idx.prefixMaxEnd[last] as number) > s ? (idx.prefixMaxEnd[last] as number) : Number.NEGATIVE_INFINITY;
}

/** The end of the union of occurrences covering t, or t when none does. */
export function coveredUntil(indexes: readonly OccIndex[], t: number): number {
  let cur = t;
  for (let moved = true; moved; ) {
    moved = false;
    for (const idx of indexes) {
      const i = lastStartBefore(idx.starts, cur, true);
      if (i >= 0 && (idx.prefixMaxEnd[i] as number) > cur) {
        cur = idx.prefixMaxEnd[i] as number;
        moved = true;
      }
    }
  }
  return cur;
}

export class ScheduleIndex {
  private readonly occurrences = new Map<CompiledWindow, OccIndex>();
  private readonly bookingsByEnv = new Map<string, Slot[]>();

  constructor(
    private readonly input: ConflictInput,
    private readonly rangeFrom: number,
    private readonly rangeTo: number,
  ) {
    for (const s of input.slots) {
      if (s.type !== 'booking') continue;
      const list = this.bookingsByEnv.get(s.environment) ?? [];
      list.push(s);
      this.bookingsByEnv.set(s.environment, list);
    }
  }

  bookings(environment: string): Slot[] {
    return this.bookingsByEnv.get(environment) ?? [];
  }

  private byEnvironment: Map<string, WindowSpec[]> | null = null;

  /** Windows that may apply in an environment (its own and those of no environment in particular), in declaration order. */
  private candidates(environment: string): WindowSpec[] {
    if (!this.byEnvironment) {
      this.byEnvironment = new Map();
      for (const e of this.input.environments.keys()) this.byEnvironment.set(e, []);
      for (const w of this.input.windows) {
        if (w.kind === 'freeze' && w.severity === 'soft') continue;
        for (const e of w.environments.length ? w.environments : this.input.environments.keys()) this.byEnvironment.get(e)?.push(w);
      }
    }
    return this.byEnvironment.get(environment) ?? [];
  }

  private readonly byEnvironmentIndexed = new Map<string, EnvironmentWindows>();

  private environmentWindows(environment: string): EnvironmentWindows {
    let found = this.byEnvironmentIndexed.get(environment);
    if (found) return found;
    const env = this.input.environments.get(environment);
    const zone = env?.timezone ?? 'UTC';
    const indexed = this.candidates(environment).map((spec) => ({ spec, index: this.indexOf(spec, zoneFor(spec, zone)) }));
    const environmentTags = env?.tags ?? [];
    // Applies to every product here: no product list, and no tag condition or one the environment meets.
    const everyProduct = (w: WindowSpec) =>
      w.products.length === 0 && (w.tags.length === 0 || w.tags.some((t) => environmentTags.includes(t)));
    const dependent = indexed.filter((w) => !everyProduct(w.spec));
    found = {
      indexed,
      dependent,
      named: new Set(dependent.flatMap((w) => w.spec.products)),
      shared: applicable(indexed.filter((w) => everyProduct(w.spec))),
      byProduct: new Map(),
      subject: { product: '', productTags: [], environment, environmentTags },
    };
    this.byEnvironmentIndexed.set(environment, found);
    return found;
  }

  /** Windows applying to a product in an environment, with their occurrences over the range. */
  windowsFor(product: string, environment: string): Applicable {
    const env = this.environmentWindows(environment);
    const productTags = this.input.products.get(product)?.tags ?? [];
    if (productTags.length === 0 && !env.named.has(product)) return env.shared;
    let list = env.byProduct.get(product);
    if (list) return list;
    const subject = { ...env.subject, product, productTags };
    // Declaration order is kept: the first maintenance window names an `outside_window` conflict.
    list = env.dependent.some((w) => appliesTo(w.spec, subject))
      ? applicable(env.indexed.filter((w) => appliesTo(w.spec, subject)))
      : env.shared;
    env.byProduct.set(product, list);
    return list;
  }

  private indexOf(spec: WindowSpec, zone: string): OccIndex {
    const compiled = this.input.compile(spec, zone);
    let idx = this.occurrences.get(compiled);
    if (!idx) {
      idx = occIndexOf(compiled.between(this.rangeFrom, this.rangeTo));
      this.occurrences.set(compiled, idx);
    }
    return idx;
  }

  /** Why [start, end) is no good for the product in the environment (freeze, outside maintenance windows, full), or null. */
  blockedBy(product: string, environment: string, start: number, end: number): string | null {
    const { all, allows, allowIndexes } = this.windowsFor(product, environment);
    for (const w of all) {
      if (w.spec.kind === 'freeze' && overlapEnd(w.index, start, end) > start)
        return `freeze '${w.spec.key}' (${product} in ${environment})`;
    }
    if (allows.length > 0 && coveredUntil(allowIndexes, start) < end) {
      return `outside the maintenance windows of ${environment} (${allows.map((w) => w.spec.key).join(', ')})`;
    }
    const capacity = this.input.environments.get(environment)?.concurrency ?? 1;
    const busy = this.bookings(environment).filter((b) => b.start < end && b.end > start);
    if (busy.length >= capacity && maxConcurrent(busy, start, end) >= capacity) {
      return `${environment} is fully booked (${busy.map((b) => b.release).join(', ')})`;
    }
    return null;
  }

  /**
   * The last suggestion made: a slot's conflicts are found one after another (each freeze it overlaps, then its
   * maintenance windows) and all ask for the next free slot after its start.
   */
  private suggested: { slot: Slot; after: number; found: Suggestion } | null = null;

  /** The next [t, t+length) at or after `after` free of freezes, inside maintenance windows and below capacity. */
  freeSlot(slot: Slot, after: number): Suggestion {
    const last = this.suggested;
    if (last !== null && last.slot === slot && last.after === after) return last.found;
    const found = this.searchFreeSlot(slot, after);
    this.suggested = { slot, after, found };
    return found;
  }

  private searchFreeSlot(slot: Slot, after: number): Suggestion {
    const length = slot.end - slot.start;
    const { freezes, allowIndexes: allows } = this.windowsFor(slot.product, slot.environment);
    const capacity = this.input.environments.get(slot.environment)?.concurrency ?? 1;
    const bookings = this.bookings(slot.environment);
    let t = after;
    for (let step = 0; step < 500 && t - after <= SUGGESTION_HORIZON_MS; step++) {
      const e = t + length;
      let next = t;
      for (const idx of freezes) next = Math.max(next, overlapEnd(idx, t, e));
      if (next > t) {
        t = next;
        continue;
      }
      if (allows.length > 0) {
        const until = coveredUntil(allows, t);
        if (until < e) {
          // Not covered from `until` on: start at the next maintenance window opening after the gap.
          let opens = Number.POSITIVE_INFINITY;
          for (const idx of allows) {
            const i = lastStartBefore(idx.starts, until, false) + 1;
            if (i < idx.starts.length) opens = Math.min(opens, idx.starts[i] as number);
          }
          if (!Number.isFinite(opens)) return null;
          t = Math.max(opens, t + 1);
          continue;
        }
      }
      // Fewer bookings than capacity can never fill the environment: no list to make.
      const busy: Slot[] = [];
      if (bookings.length >= capacity) for (const b of bookings) if (b.id !== slot.id && b.start < e && b.end > t) busy.push(b);
      if (busy.length >= capacity && maxConcurrent(busy, t, e) >= capacity) {
        t = Number.POSITIVE_INFINITY;
        for (const b of busy) t = Math.min(t, b.end);
        continue;
      }
      return { start: isoOf(t), end: isoOf(e) };
    }
    return null;
  }
}

/** The most of these intervals active at one instant within [t, e). */
function maxConcurrent(items: readonly { start: number; end: number }[], t: number, e: number): number {
  const points = [t, ...items.map((i) => i.start).filter((s) => s > t && s < e)];
  let best = 0;
  for (const p of points) best = Math.max(best, items.filter((i) => i.start <= p && p < i.end).length);
  return best;
}

import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { type Conflict, detectConflicts } from './conflicts.js';
import { WindowCompiler } from './recurrence.js';
import type { ConflictInput, Slot } from './schedule-index.js';
import { appliesTo, normalizeWindow, type WindowSpec, zoneFor } from './window.js';

const HOUR = 3_600_000;
const BASE = Date.parse('2026-10-19T00:00:00Z');
const compiler = new WindowCompiler();
const compile = (spec: WindowSpec, zone: string) => compiler.get(spec, zone);

/** The same rules, checked the slow way: every pair, every window occurrence, every boundary. */
function naive(input: ConflictInput): Set<string> {
  const out = new Set<string>();
  const inRange = (s: Slot) => s.end > input.from && s.start < input.to;
  const slots = input.slots.filter(inRange);
  if (slots.length === 0) return out;
  const lo = Math.min(...slots.map((s) => s.start));
  const hi = Math.max(...slots.map((s) => s.end)) + 120 * 24 * HOUR;
  const occurrences = (w: WindowSpec, env: string) =>
    compile(w, zoneFor(w, input.environments.get(env)?.timezone ?? 'UTC')).between(lo, hi);
  const windowsFor = (s: Slot) =>
    input.windows.filter(
      (w) =>
        !(w.kind === 'freeze' && w.severity === 'soft') &&
        appliesTo(w, {
          product: s.product,
          productTags: input.products.get(s.product)?.tags ?? [],
          environment: s.environment,
          environmentTags: input.environments.get(s.environment)?.tags ?? [],
        }),
    );

  const bookings = input.slots.filter((s) => s.type === 'booking');
  for (const a of bookings) {
    for (const b of bookings) {
      if (a === b || a.environment !== b.environment || !(a.start < b.start || (a.start === b.start && a.id < b.id))) continue;
      if (!(inRange(a) || inRange(b))) continue;
      const from = Math.max(a.start, b.start);
      const to = Math.min(a.end, b.end);
      if (from >= to) continue;
      const capacity = input.environments.get(a.environment)?.concurrency ?? 1;
      const points = [
        from,
        ...bookings.filter((x) => x.environment === a.environment && x.start > from && x.start < to).map((x) => x.start),
      ];
      const busiest = Math.max(
        ...points.map((p) => bookings.filter((x) => x.environment === a.environment && x.start <= p && p < x.end).length),
      );
      if (busiest > capacity) out.add(`overbooked|${a.environment}|${a.id}|${b.id}`);
    }
  }
  for (const s of slots) {
    const windows = windowsFor(s);
    for (const w of windows.filter((x) => x.kind === 'freeze')) {
      const hit = occurrences(w, s.environment).some((o) => {
        if (!(o.start < s.end && o.end > s.start)) return false;
        const from = Math.max(o.start, s.start);
        const to = Math.min(o.end, s.end);
        return !input.overrides.some(
          (v) =>
            v.window === w.key &&
            v.environment === s.environment &&
            (v.product === null || v.product === s.product) &&
            v.start <= from &&
            v.end >= to,
        );
      });
      if (hit) out.add(`freeze|${s.environment}|${s.id}|${w.key}`);
    }
    const allows = windows.filter((x) => x.kind === 'allow');
    if (allows.length) {
      const occ = allows.flatMap((w) => occurrences(w, s.environment));
      const points = [s.start, ...occ.map((o) => o.end).filter((e) => e > s.start && e < s.end)];
      if (points.some((p) => !occ.some((o) => o.start <= p && p < o.end)))
        out.add(`outside_window|${s.environment}|${s.id}|${allows[0]?.key}`);
    }
    for (const dep of input.products.get(s.product)?.dependsOn ?? []) {
      const fits = (v: string) => semver.satisfies(v, dep.range, { includePrerelease: true });
      if ((input.deployed.get(`${dep.product}|${s.environment}`) ?? []).some(fits)) continue;
      const candidates = input.slots.filter((d) => d.product === dep.product && d.environment === s.environment && fits(d.version));
      if (candidates.some((d) => d.end <= s.start)) continue;
      const first = [...candidates].sort((x, y) => x.end - y.end || x.id.localeCompare(y.id))[0];
      out.add(`dependency|${s.environment}|${s.id}|${first ? first.id : dep.product}`);
    }
  }
  const plans = slots.filter((s) => s.type === 'plan' && s.train !== null);
  for (const a of plans) {
    for (const b of plans) {
      if (a.train === b.train && a.environment === b.environment && !(a.start < b.end && b.start < a.end))
        out.add(`train|${a.environment}|${a.train}`);
    }
  }
  return out;
}

function keyOf(c: Conflict): string {
  if (c.kind === 'train') return `train|${c.environment}|${c.a.key.length ? 'T' : ''}`;
  const b = c.b.type === 'window' || c.b.type === 'product' ? c.b.key : c.b.id;
  return `${c.kind}|${c.environment}|${c.a.id}|${b}`;
}

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York'];
const ENVS = ['dev', 'staging', 'prod'];
const PRODUCTS = ['api', 'web', 'shop', 'auth'];

const windowArb = fc.record({
  kind: fc.constantFrom('freeze', 'freeze', 'allow'),
  severity: fc.constantFrom('hard', 'emergency-only', 'soft'),
  environments: fc.subarray(ENVS),
  products: fc.subarray(PRODUCTS, { maxLength: 2 }),
  tags: fc.subarray(['pci', 'edge'], { maxLength: 1 }),
  timezone: fc.option(fc.constantFrom(...ZONES), { nil: undefined }),
  day: fc.constantFrom('MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU', 'MO,WE,FR'),
  hour: fc.integer({ min: 0, max: 23 }),
  hours: fc.integer({ min: 1, max: 60 }),
});

const slotArb = fc.record({
  type: fc.constantFrom('plan', 'booking', 'booking'),
  product: fc.constantFrom(...PRODUCTS),
  minor: fc.integer({ min: 0, max: 2 }),
  environment: fc.constantFrom(...ENVS),
  start: fc.integer({ min: 0, max: 21 * 24 }),
  hours: fc.integer({ min: 1, max: 30 }),
  train: fc.boolean(),
});

const portfolioArb = fc.record({
  windows: fc.array(windowArb, { maxLength: 5 }),
  slots: fc.array(slotArb, { minLength: 1, maxLength: 25 }),
  concurrency: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 3, maxLength: 3 }),
  zones: fc.array(fc.constantFrom(...ZONES), { minLength: 3, maxLength: 3 }),
  deps: fc.array(fc.tuple(fc.constantFrom(...PRODUCTS), fc.constantFrom(...PRODUCTS)), { maxLength: 3 }),
  overrides: fc.array(
    fc.record({ window: fc.nat(4), environment: fc.constantFrom(...ENVS), start: fc.nat(21 * 24), hours: fc.integer({ min: 1, max: 72 }) }),
    {
      maxLength: 2,
    },
  ),
  deployed: fc.array(fc.tuple(fc.constantFrom(...PRODUCTS), fc.constantFrom(...ENVS)), { maxLength: 2 }),
  range: fc.tuple(fc.nat(10 * 24), fc.integer({ min: 24, max: 30 * 24 })),
});

type Portfolio = typeof portfolioArb extends fc.Arbitrary<infer T> ? T : never;

function build(p: Portfolio): ConflictInput {
  const windows = p.windows.map((w, i) =>
    normalizeWindow({
      key: `w${i}`,
      kind: w.kind,
      severity: w.kind === 'freeze' ? w.severity : undefined,
      environments: w.environments,
      products: w.products,
      tags: w.tags,
      timezone: w.timezone,
      rrule: `FREQ=WEEKLY;BYDAY=${w.day};BYHOUR=${w.hour}`,
      duration: `PT${w.hours}H`,
    }),
  );
  const slots: Slot[] = p.slots.map((s, i) => ({
    id: `s${String(i).padStart(2, '0')}`,
    type: s.type as Slot['type'],
    release: `${s.product}@1.${s.minor}.0`,
    product: s.product,
    version: `1.${s.minor}.0`,
    train: s.train && s.type === 'plan' ? 'monthly' : null,
    environment: s.environment,
    start: BASE + s.start * HOUR,
    end: BASE + (s.start + s.hours) * HOUR,
  }));
  const dependsOn = new Map<string, { product: string; range: string }[]>();
  for (const [a, b] of p.deps) if (a !== b) dependsOn.set(a, [...(dependsOn.get(a) ?? []), { product: b, range: '^1.1.0' }]);
  return {
    slots,
    environments: new Map(
      ENVS.map((key, i) => [key, { key, concurrency: p.concurrency[i] ?? 1, timezone: p.zones[i] ?? 'UTC', tags: i === 2 ? ['pci'] : [] }]),
    ),
    products: new Map(PRODUCTS.map((key, i) => [key, { key, tags: i === 1 ? ['edge'] : [], dependsOn: dependsOn.get(key) ?? [] }])),
    windows,
    compile,
    overrides: p.overrides
      .filter((o) => o.window < windows.length)
      .map((o) => ({
        window: `w${o.window}`,
        environment: o.environment,
        product: null,
        start: BASE + o.start * HOUR,
        end: BASE + (o.start + o.hours) * HOUR,
      })),
    deployed: new Map(p.deployed.map(([product, env]) => [`${product}|${env}`, ['1.2.0']])),
    from: BASE + p.range[0] * HOUR,
    to: BASE + (p.range[0] + p.range[1]) * HOUR,
  };
}

describe('conflict detection', () => {
  it('agrees with a naive O(n²) checker on random portfolios', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(portfolioArb, (p) => {
        const input = build(p);
        const fast = detectConflicts(input);
        for (const c of fast) seen.set(c.kind, (seen.get(c.kind) ?? 0) + 1);
        const expected = naive(input);
        const got = new Set(fast.map(keyOf).map((k) => (k.startsWith('train|') ? `${k.slice(0, -1)}monthly` : k)));
        expect([...got].sort()).toEqual([...expected].sort());
      }),
      { numRuns: 300 },
    );
    // The portfolios are not trivially conflict-free: every kind turned up.
    for (const kind of ['overbooked', 'freeze', 'outside_window', 'dependency', 'train']) expect(seen.get(kind) ?? 0).toBeGreaterThan(5);
  }, 120_000);

  it('suggests slots that are themselves free of freezes, closed maintenance windows and full environments', () => {
    fc.assert(
      fc.property(portfolioArb, (p) => {
        const input = build(p);
        for (const c of detectConflicts(input)) {
          if (!c.suggestion || c.kind === 'dependency' || c.kind === 'train') continue;
          const moved = c.kind === 'overbooked' ? c.b : c.a;
          const original = input.slots.find((s) => s.id === moved.id) as Slot;
          const slot = { ...original, start: Date.parse(c.suggestion.start), end: Date.parse(c.suggestion.end) };
          const again = detectConflicts({
            ...input,
            slots: [...input.slots.filter((s) => s.id !== slot.id), slot],
            from: slot.start,
            to: slot.end,
          });
          expect(again.filter((x) => x.kind === 'outside_window' && x.a.id === slot.id)).toEqual([]);
          expect(again.filter((x) => x.kind === 'overbooked' && (x.a.id === slot.id || x.b.id === slot.id))).toEqual([]);
          expect(again.filter((x) => x.kind === 'freeze' && x.a.id === slot.id)).toEqual([]);
        }
      }),
      { numRuns: 100 },
    );
  }, 120_000);

  it('names both parties and the next free slot for two bookings of a one-at-a-time environment', () => {
    const input = build({
      windows: [],
      slots: [],
      concurrency: [1, 1, 1],
      zones: ['UTC', 'UTC', 'UTC'],
      deps: [],
      overrides: [],
      deployed: [],
      range: [0, 24 * 30],
    });
    const a: Slot = {
      id: 'a',
      type: 'booking',
      release: 'web@1.0.0',
      product: 'web',
      version: '1.0.0',
      train: null,
      environment: 'prod',
      start: BASE,
      end: BASE + 2 * HOUR,
    };
    const b: Slot = { ...a, id: 'b', release: 'api@2.0.0', product: 'api', version: '2.0.0', start: BASE + HOUR, end: BASE + 3 * HOUR };
    const [c] = detectConflicts({ ...input, slots: [a, b] });
    expect(c).toMatchObject({
      kind: 'overbooked',
      environment: 'prod',
      a: { type: 'booking', key: 'web@1.0.0', id: 'a' },
      b: { type: 'booking', key: 'api@2.0.0', id: 'b' },
      from: new Date(BASE + HOUR).toISOString(),
      to: new Date(BASE + 2 * HOUR).toISOString(),
      suggestion: { start: new Date(BASE + 2 * HOUR).toISOString(), end: new Date(BASE + 4 * HOUR).toISOString() },
    });
  });

  it('moves a release planned into a freeze to the first slot after it', () => {
    const input = build({
      windows: [],
      slots: [],
      concurrency: [1, 1, 1],
      zones: ['UTC', 'UTC', 'Europe/Berlin'],
      deps: [],
      overrides: [],
      deployed: [],
      range: [0, 24 * 30],
    });
    const freeze = normalizeWindow({
      key: 'weekend-freeze',
      kind: 'freeze',
      environments: ['prod'],
      rrule: 'FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0',
      duration: 'P2DT12H',
      timezone: 'Europe/Berlin',
    });
    const plan: Slot = {
      id: 'p',
      type: 'plan',
      release: 'shop@1.0.0',
      product: 'shop',
      version: '1.0.0',
      train: null,
      environment: 'prod',
      start: Date.parse('2026-10-24T09:00:00Z'),
      end: Date.parse('2026-10-24T11:00:00Z'),
    };
    const [c] = detectConflicts({ ...input, windows: [freeze], slots: [plan] });
    expect(c).toMatchObject({
      kind: 'freeze',
      a: { type: 'plan', key: 'shop@1.0.0' },
      b: { type: 'window', key: 'weekend-freeze', start: '2026-10-23T16:00:00.000Z', end: '2026-10-26T05:00:00.000Z' },
      suggestion: { start: '2026-10-26T05:00:00.000Z', end: '2026-10-26T07:00:00.000Z' },
    });
  });
});

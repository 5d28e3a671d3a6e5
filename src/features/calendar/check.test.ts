import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config-document.js';
import { type ApplicableWindow, checkPromotion } from './check.js';
import { compileWindow } from './recurrence.js';
import { normalizeWindow, type WindowInput } from './window.js';

const applicable = (input: Omit<WindowInput, 'key'> & { key?: string }): ApplicableWindow => {
  const spec = normalizeWindow({ key: 'w', ...input });
  const zone = spec.timezone ?? 'UTC';
  return { spec, zone, compiled: compileWindow(spec, zone) };
};
const at = (iso: string) => Date.parse(iso);
// Weekdays 09:00–17:00 UTC maintenance window; a Wednesday 12:00–14:00 freeze.
const office = applicable({ key: 'office-hours', kind: 'allow', rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9', duration: 'PT8H' });
const lunch = applicable({
  key: 'lunch-freeze',
  kind: 'freeze',
  rrule: 'FREQ=WEEKLY;BYDAY=WE;BYHOUR=12',
  duration: 'PT2H',
  reason: 'Peak traffic',
});

describe('may I promote now?', () => {
  it('allows when no window applies, with nextOpen = now', () => {
    expect(checkPromotion({ windows: [], overrides: [], at: at('2026-10-21T12:30:00Z'), emergency: false })).toEqual({
      allowed: true,
      reasons: [],
      nextOpen: '2026-10-21T12:30:00.000Z',
    });
  });

  it('deny wins: inside a maintenance window and a freeze at once is blocked, and opens when the freeze ends', () => {
    const r = checkPromotion({ windows: [office, lunch], overrides: [], at: at('2026-10-21T12:30:00Z'), emergency: false });
    expect(r.allowed).toBe(false);
    expect(r.reasons).toEqual([
      {
        window: 'lunch-freeze',
        message:
          "freeze 'lunch-freeze' (Peak traffic) is active from Wed 2026-10-21 12:00 to Wed 2026-10-21 14:00 UTC; rule FREQ=WEEKLY;BYDAY=WE;BYHOUR=12, duration PT2H",
      },
    ]);
    expect(r.nextOpen).toBe('2026-10-21T14:00:00.000Z');
  });

  it('outside every maintenance window is blocked until the next one opens, skipping freezes on the way', () => {
    const r = checkPromotion({ windows: [office, lunch], overrides: [], at: at('2026-10-23T18:00:00Z'), emergency: false });
    expect(r.allowed).toBe(false);
    expect(r.reasons[0]?.message).toMatch(/^outside maintenance window 'office-hours'; it opens next at Mon 2026-10-26 09:00 UTC/);
    expect(r.nextOpen).toBe('2026-10-26T09:00:00.000Z');
    const wednesday = applicable({ key: 'morning-freeze', kind: 'freeze', rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9', duration: 'PT3H' });
    expect(checkPromotion({ windows: [office, wednesday], overrides: [], at: at('2026-10-23T18:00:00Z'), emergency: false }).nextOpen).toBe(
      '2026-10-26T12:00:00.000Z',
    );
  });

  it('lets an approved override through, and an override starting later opens the freeze early', () => {
    const override = { id: 'o1', window: 'lunch-freeze', start: at('2026-10-21T13:00:00Z'), end: at('2026-10-21T13:30:00Z') };
    const before = checkPromotion({ windows: [lunch], overrides: [override], at: at('2026-10-21T12:30:00Z'), emergency: false });
    expect(before).toMatchObject({ allowed: false, nextOpen: '2026-10-21T13:00:00.000Z' });
    const during = checkPromotion({ windows: [lunch], overrides: [override], at: at('2026-10-21T13:10:00Z'), emergency: false });
    expect(during.allowed).toBe(true);
    expect(during.reasons[0]?.message).toMatch(/overridden by o1 until 2026-10-21T13:30:00.000Z/);
  });

  it('emergency-only freezes let emergencies through; soft freezes never block', () => {
    const holiday = applicable({
      key: 'holiday',
      kind: 'freeze',
      severity: 'emergency-only',
      start: '2026-12-21T00:00:00Z',
      end: '2027-01-04T00:00:00Z',
    });
    const soft = applicable({
      key: 'quarter-end',
      kind: 'freeze',
      severity: 'soft',
      start: '2026-12-28T00:00:00Z',
      end: '2027-01-02T00:00:00Z',
    });
    const t = at('2026-12-29T10:00:00Z');
    const normal = checkPromotion({ windows: [holiday, soft], overrides: [], at: t, emergency: false });
    expect(normal).toMatchObject({ allowed: false, nextOpen: '2027-01-04T00:00:00.000Z' });
    expect(normal.reasons.map((r) => r.window)).toEqual(['holiday']);
    expect(normal.reasons[0]?.message).toMatch(/only emergencies may pass/);
    const emergency = checkPromotion({ windows: [holiday, soft], overrides: [], at: t, emergency: true });
    expect(emergency.allowed).toBe(true);
    expect(emergency.reasons.map((r) => r.window)).toEqual(['holiday', 'quarter-end']);
  });

  it('says null when nothing opens within the horizon', () => {
    const forever = applicable({ key: 'always', kind: 'freeze', rrule: 'FREQ=DAILY', duration: 'P2D' });
    expect(checkPromotion({ windows: [forever], overrides: [], at: at('2026-10-21T12:30:00Z'), emergency: false }).nextOpen).toBeNull();
  });
});

describe('windows in railyard.yaml', () => {
  const yaml = (windows: string) =>
    `environments:\n  - key: prod\n    tier: prod\nproducts:\n  - key: shop\n    tags: [pci]\n    cadence:\n      rrule: FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;BYHOUR=10\n      start: 2026-01-06T10:00\nwindows:\n${windows}`;

  it('accepts windows, tags and cadences', () => {
    const config = parseConfig(
      yaml(
        '  - key: weekend-freeze\n    kind: freeze\n    environments: [prod]\n    tags: [pci]\n    rrule: "FREQ=WEEKLY;BYDAY=FR;BYHOUR=18"\n    duration: P2DT12H\n',
      ),
      'railyard.yaml',
    );
    expect(config.windows?.[0]?.key).toBe('weekend-freeze');
  });

  it('reports bad windows at file:line:column, every problem at once', () => {
    const text = yaml(
      [
        '  - key: a',
        '    kind: freeze',
        '    environments: [prod, qa]',
        '    rrule: "FREQ=WEEKLY;BYDAY=XX"',
        '    duration: P2DT12H',
        '    timezone: Mars/Olympus',
        '  - key: b',
        '    kind: allow',
        '    start: 2026-12-24T00:00',
        '    end: 2026-12-23T00:00',
        '  - key: a',
        '    kind: freeze',
        '    rrule: FREQ=WEEKLY',
        '',
      ].join('\n'),
    );
    let details: unknown;
    try {
      parseConfig(text, 'railyard.yaml');
    } catch (error) {
      details = (error as { details: unknown }).details;
    }
    expect(details).toEqual([
      {
        file: 'railyard.yaml',
        line: 13,
        column: 26,
        path: 'windows[0].environments[1]',
        message: "unknown environment 'qa' (declared: prod)",
      },
      { file: 'railyard.yaml', line: 14, column: 12, path: 'windows[0].rrule', message: expect.stringMatching(/^invalid rule: BYDAY=XX/) },
      {
        file: 'railyard.yaml',
        line: 16,
        column: 15,
        path: 'windows[0].timezone',
        message: "unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin)",
      },
      {
        file: 'railyard.yaml',
        line: 20,
        column: 10,
        path: 'windows[1].end',
        message: 'the end (2026-12-23T00:00) is not after the start (2026-12-24T00:00)',
      },
      { file: 'railyard.yaml', line: 21, column: 5, path: 'windows[2]', message: 'a recurring window needs a duration (e.g. P2DT12H)' },
      { file: 'railyard.yaml', line: 21, column: 10, path: 'windows[2].key', message: "duplicate key 'a' (also windows[0])" },
    ]);
  });
});

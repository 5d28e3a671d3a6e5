import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoOf, parseIso } from './instant.js';

const YEAR_10000 = 253_402_300_800_000;

describe('instants as ISO-8601 text', () => {
  it('are written exactly as Date#toISOString writes them', () => {
    fc.assert(
      fc.property(fc.integer({ min: -YEAR_10000, max: 2 * YEAR_10000 }), (ms) => {
        expect(isoOf(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
    for (const ms of [0, 951_782_400_000, 4_107_542_399_999, YEAR_10000 - 1, -1]) expect(isoOf(ms)).toBe(new Date(ms).toISOString());
  });

  it('are read back to the same instant, as Date.parse reads them', () => {
    fc.assert(
      fc.property(fc.integer({ min: -YEAR_10000, max: 2 * YEAR_10000 }), (ms) => {
        const text = new Date(ms).toISOString();
        expect(parseIso(text)).toBe(Date.parse(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('read any other text as Date.parse does, impossible dates included', () => {
    const odd = [
      '2026-02-29T00:00:00.000Z',
      '2028-02-29T12:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-12-01T24:00:00.000Z',
      '2026-12-01T09:60:00.000Z',
      '2026-12-01T09:00:00Z',
      '2026-12-01T09:00:00.000+01:00',
      '2026-12-01 09:00:00.000Z',
      '2026-1a-01T09:00:00.000Z',
      'not a time at all, really',
      '',
    ];
    for (const text of odd) expect(parseIso(text)).toEqual(Date.parse(text));
    // Every field with any two (or four) digits: months 00 and 19, February 30th, hour 24 and so on.
    const n = (max: number, width: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(width, '0'));
    const shaped = fc
      .tuple(n(9999, 4), n(99, 2), n(99, 2), n(99, 2), n(99, 2), n(99, 2), n(999, 3))
      .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
    fc.assert(
      fc.property(fc.oneof(shaped, fc.string({ minLength: 24, maxLength: 24 })), (text) => {
        expect(parseIso(text)).toEqual(Date.parse(text));
      }),
      { numRuns: 20_000 },
    );
  });
});

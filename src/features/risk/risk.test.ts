import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEIGHTS, evidenceStates, RISK_FACTORS, type RiskInput, scoreRisk } from './risk.js';

const calm: RiskInput = {
  changes: { total: 0, breaking: 0, dependency: 0 },
  history: { product: 'shop', total: 10, failed: 0 },
  evidence: { tests: 'ok', coverage: 'ok', scan: 'ok' },
  hoursToFreeze: null,
  daysSinceLastRelease: 0,
};

describe('risk score', () => {
  it('is 0 for a release with nothing to worry about, and explains every factor', () => {
    const r = scoreRisk('shop@1.0.0', calm);
    expect(r).toMatchObject({ score: 0, level: 'low', omitted: [] });
    expect(r.factors.map((f) => f.key)).toEqual([...RISK_FACTORS]);
    expect(r.factors.find((f) => f.key === 'freeze')?.explanation).toBe('no freeze within 14 days');
  });

  it('is 100 when every factor is at its most', () => {
    const r = scoreRisk('shop@1.0.0', {
      changes: { total: 80, breaking: 3, dependency: 9 },
      history: { product: 'shop', total: 5, failed: 4 },
      evidence: { tests: 'failing', coverage: 'missing', scan: 'failing' },
      hoursToFreeze: 0,
      daysSinceLastRelease: 200,
    });
    expect(r).toMatchObject({ score: 100, level: 'critical' });
    expect(r.factors.find((f) => f.key === 'history')?.explanation).toBe(
      '4 of 5 deployments of shop in the last 90 days failed or were rolled back',
    );
    expect(r.factors.find((f) => f.key === 'evidence')?.explanation).toBe('evidence tests failing, coverage missing, scan failing');
  });

  it('leaves out a factor it cannot know (the calendar), and says why', () => {
    const r = scoreRisk('shop@1.0.0', { ...calm, changes: { total: 50, breaking: 0, dependency: 0 }, hoursToFreeze: 'no calendar' });
    expect(r.omitted).toEqual([{ key: 'freeze', reason: 'no calendar' }]);
    const total = Object.values(DEFAULT_WEIGHTS).reduce((a, b) => a + b) - DEFAULT_WEIGHTS.freeze;
    expect(r.score).toBe(Math.round((100 * DEFAULT_WEIGHTS.size) / total));
  });

  it('uses the configured weights; a weight of 0 turns a factor off', () => {
    const input = { ...calm, changes: { total: 0, breaking: 2, dependency: 0 } };
    const onlyBreaking = Object.fromEntries(RISK_FACTORS.map((k) => [k, k === 'breaking' ? 1 : 0])) as typeof DEFAULT_WEIGHTS;
    expect(scoreRisk('x@1.0.0', input, onlyBreaking).score).toBe(100);
    expect(scoreRisk('x@1.0.0', input, { ...DEFAULT_WEIGHTS, breaking: 0 }).score).toBe(0);
  });

  const inputs = fc.record({
    changes: fc.record({ total: fc.nat(500), breaking: fc.nat(10), dependency: fc.nat(20) }),
    history: fc.record({ product: fc.constant('p'), total: fc.nat(50), failed: fc.nat(50) }),
    evidence: fc.record({
      tests: fc.constantFrom('ok' as const, 'missing' as const, 'failing' as const),
      coverage: fc.constantFrom('ok' as const, 'missing' as const, 'failing' as const),
      scan: fc.constantFrom('ok' as const, 'missing' as const, 'failing' as const),
    }),
    hoursToFreeze: fc.oneof(fc.constant(null), fc.constant('unknown'), fc.double({ min: 0, max: 1000, noNaN: true })),
    daysSinceLastRelease: fc.oneof(fc.constant(null), fc.double({ min: 0, max: 1000, noNaN: true })),
  });
  const weights = fc.record(Object.fromEntries(RISK_FACTORS.map((k) => [k, fc.integer({ min: 0, max: 100 })])) as never) as fc.Arbitrary<
    typeof DEFAULT_WEIGHTS
  >;

  it('properties: 0–100, the points add up to the score, and more changes never lower it', () => {
    fc.assert(
      fc.property(inputs, weights, fc.nat(100), (input, w, more) => {
        const r = scoreRisk('p@1.0.0', input, w);
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(100);
        expect(Math.abs(r.factors.reduce((a, f) => a + f.points, 0) - r.score)).toBeLessThanOrEqual(0.5 + r.factors.length * 0.005);
        const bigger = scoreRisk('p@1.0.0', { ...input, changes: { ...input.changes, total: input.changes.total + more } }, w);
        expect(bigger.score).toBeGreaterThanOrEqual(r.score);
      }),
    );
  });
});

describe('evidence for risk', () => {
  it('is missing, failing or ok for tests, coverage and scan', () => {
    expect(evidenceStates({})).toEqual({ tests: 'missing', coverage: 'missing', scan: 'missing' });
    expect(evidenceStates({ tests: { total: 3, failed: 1, errors: 0 }, coverage: { lines: 40 }, sarif: { error: 0 } })).toEqual({
      tests: 'failing',
      coverage: 'failing',
      scan: 'ok',
    });
  });
});

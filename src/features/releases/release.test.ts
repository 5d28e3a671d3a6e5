import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.js';
import {
  allowedNext,
  assertTransition,
  isFinal,
  parseRef,
  RELEASE_STATUSES,
  type ReleaseStatus,
  targetDateProblem,
  versionProblem,
} from './release.js';

describe('release lifecycle', () => {
  it('moves forward one step at a time: planned → in_progress → ready → released', () => {
    expect(() => assertTransition('a@1.0.0', 'planned', 'in_progress')).not.toThrow();
    expect(() => assertTransition('a@1.0.0', 'in_progress', 'ready')).not.toThrow();
    expect(() => assertTransition('a@1.0.0', 'ready', 'released')).not.toThrow();
  });

  it('rejects skipping a step and names what is allowed', () => {
    expect(() => assertTransition('a@1.0.0', 'planned', 'released')).toThrow(
      'release a@1.0.0 cannot go from planned to released (allowed from planned: in_progress, cancelled)',
    );
  });

  it('can cancel from every state that is not final, and nothing leaves a final state', () => {
    for (const s of RELEASE_STATUSES) {
      if (isFinal(s)) {
        for (const t of RELEASE_STATUSES) expect(() => assertTransition('a@1.0.0', s, t)).toThrow(AppError);
      } else {
        expect(() => assertTransition('a@1.0.0', s, 'cancelled')).not.toThrow();
      }
    }
  });

  it('any walk of allowed transitions ends in released or cancelled and never revisits a final state', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(10), { maxLength: 30 }), (choices) => {
        let status: ReleaseStatus = 'planned';
        for (const c of choices) {
          const next = allowedNext(status);
          if (next.length === 0) break;
          const to = next[c % next.length] as ReleaseStatus;
          assertTransition('a@1.0.0', status, to);
          status = to;
        }
        if (isFinal(status)) expect(['released', 'cancelled']).toContain(status);
      }),
    );
  });
});

describe('release references', () => {
  it('splits PRODUCT@VERSION at the last @', () => {
    expect(parseRef('shop@1.2.0')).toEqual({ product: 'shop', version: '1.2.0' });
    expect(parseRef('@acme/ui@2.0.0-rc.1')).toEqual({ product: '@acme/ui', version: '2.0.0-rc.1' });
  });

  it.each(['shop', 'shop@', '@1.0.0', ''])('rejects %j with a hint', (ref) => {
    expect(() => parseRef(ref)).toThrow(/write PRODUCT@VERSION/);
  });

  it('round-trips any key and version', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/),
        fc.stringMatching(/^\d{1,3}\.\d{1,3}\.\d{1,3}$/),
        (product, version) => {
          expect(parseRef(`${product}@${version}`)).toEqual({ product, version });
        },
      ),
    );
  });
});

describe('release fields', () => {
  it('accepts semantic versions only', () => {
    expect(versionProblem('1.2.3')).toBeNull();
    expect(versionProblem('1.2.3-rc.1')).toBeNull();
    expect(versionProblem('v1.2.3')).toMatch(/not a semantic version/);
    expect(versionProblem('1.2')).toMatch(/not a semantic version/);
  });

  it('accepts calendar days and ISO times as target dates', () => {
    expect(targetDateProblem('2026-12-01')).toBeNull();
    expect(targetDateProblem('2026-12-01T09:00:00Z')).toBeNull();
    expect(targetDateProblem('2026-12-01T09:00:00+01:00')).toBeNull();
    expect(targetDateProblem('2026-02-30')).toMatch(/not a real date/);
    expect(targetDateProblem('next tuesday')).toMatch(/write YYYY-MM-DD/);
  });
});

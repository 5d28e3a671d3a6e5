import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { describeCommits, nextVersion } from './bump.js';
import { resolveVersioningConfig } from './versioning-config.js';

const config = resolveVersioningConfig(undefined);
const c = (type: string, breaking = false) => ({ type, breaking });
const next = (stable: string | null, commits: { type: string; breaking: boolean }[], latest = stable, pre: string | null = null) =>
  nextVersion({ latest, stable, commits, pre }, config);

describe('bump rules', () => {
  it('breaking → major, feat → minor, fix/perf → patch, and explains why', () => {
    expect(next('1.2.3', [c('feat'), c('fix'), c('fix')])).toEqual({
      current: '1.2.3',
      next: '1.3.0',
      bump: 'minor',
      reason: '1 feat, 2 fix',
      commits: 3,
    });
    expect(next('1.2.3', [c('fix'), c('feat', true)])).toMatchObject({ next: '2.0.0', bump: 'major', reason: '1 breaking, 1 fix' });
    expect(next('1.2.3', [c('perf')])).toMatchObject({ next: '1.2.4', bump: 'patch' });
  });

  it('in 0.x a breaking change bumps minor, unless configured to bump major', () => {
    expect(next('0.4.1', [c('feat', true)])).toMatchObject({ next: '0.5.0', bump: 'minor' });
    expect(next('0.4.1', [c('feat')])).toMatchObject({ next: '0.5.0' });
    const strict = resolveVersioningConfig({ bump: { preMajorBreaking: 'major', preMajorFeat: 'patch' } });
    expect(nextVersion({ latest: '0.4.1', stable: '0.4.1', commits: [c('feat', true)], pre: null }, strict).next).toBe('1.0.0');
    expect(nextVersion({ latest: '0.4.1', stable: '0.4.1', commits: [c('feat')], pre: null }, strict).next).toBe('0.4.2');
  });

  it('chores alone change nothing, unless other: patch', () => {
    expect(next('1.2.3', [c('chore'), c('other')])).toMatchObject({
      next: '1.2.3',
      bump: 'none',
      reason: '1 chore, 1 other: nothing that changes the version',
    });
    expect(next('1.2.3', [])).toMatchObject({ next: '1.2.3', bump: 'none', reason: 'no commits', commits: 0 });
    const patchy = resolveVersioningConfig({ bump: { other: 'patch' } });
    expect(nextVersion({ latest: '1.2.3', stable: '1.2.3', commits: [c('chore')], pre: null }, patchy).next).toBe('1.2.4');
  });

  it('the first release is the initial version (configurable)', () => {
    expect(next(null, [c('fix')])).toMatchObject({ current: null, next: '1.0.0', bump: 'initial', reason: 'first release: 1 fix' });
    const zero = resolveVersioningConfig({ initialVersion: '0.1.0' });
    expect(nextVersion({ latest: null, stable: null, commits: [c('feat')], pre: 'rc' }, zero).next).toBe('0.1.0-rc.0');
  });
});

describe('prereleases', () => {
  it('counts rc.0 → rc.1 while the commits still call for the same version', () => {
    expect(next('1.2.3', [c('feat')], '1.2.3', 'rc').next).toBe('1.3.0-rc.0');
    expect(next('1.2.3', [c('feat'), c('fix')], '1.3.0-rc.0', 'rc')).toMatchObject({
      current: '1.3.0-rc.0',
      next: '1.3.0-rc.1',
      bump: 'minor',
    });
    expect(next('1.2.3', [c('fix')], '1.3.0-rc.4', 'rc').next).toBe('1.3.0-rc.5');
  });

  it('moves to the next version when a breaking change arrives, and starts a new identifier at 0', () => {
    expect(next('1.2.3', [c('feat'), c('fix', true)], '1.3.0-rc.1', 'rc').next).toBe('2.0.0-rc.0');
    expect(next('1.2.3', [c('feat')], '1.3.0-beta.3', 'rc').next).toBe('1.3.0-rc.0');
  });

  it('graduates a prerelease line without --pre', () => {
    expect(next('1.2.3', [c('fix')], '1.3.0-rc.2')).toMatchObject({ next: '1.3.0', current: '1.3.0-rc.2' });
    expect(next(null, [c('feat')], '1.0.0-rc.1')).toMatchObject({ next: '1.0.0', bump: 'initial' });
  });

  it('never goes backwards: the next version is above every release before it', () => {
    const commit = fc.record({ type: fc.constantFrom('feat', 'fix', 'perf', 'chore', 'other'), breaking: fc.boolean() });
    const version = fc.tuple(fc.nat(3), fc.nat(5), fc.nat(5)).map(([a, b, d]) => `${a}.${b}.${d}`);
    fc.assert(
      fc.property(
        version,
        fc.array(commit, { minLength: 1, maxLength: 8 }),
        fc.option(fc.constantFrom('rc', 'beta'), { nil: null }),
        (stable, commits, pre) => {
          const r = next(stable, commits, stable, pre);
          if (r.bump === 'none') expect(r.next).toBe(stable);
          else expect(semver.gt(r.next, stable)).toBe(true);
        },
      ),
    );
  });
});

describe('reason', () => {
  it('lists breaking first, then the types that bump, then the rest by count; unknown types count as other', () => {
    expect(describeCommits([c('chore'), c('fix'), c('wip'), c('feat', true), c('chore'), c('feat')], config)).toBe(
      '1 breaking, 1 feat, 1 fix, 2 chore, 1 other',
    );
  });
});

import gt from 'semver/functions/gt.js';
import gte from 'semver/functions/gte.js';
import inc from 'semver/functions/inc.js';
import major from 'semver/functions/major.js';
import minor from 'semver/functions/minor.js';
import patch from 'semver/functions/patch.js';
import prerelease from 'semver/functions/prerelease.js';
import type { VersioningConfig } from './versioning-config.js';

/** How far a version moves. `initial`: the first release (no tag yet); `none`: nothing that changes it. */
export type Bump = 'major' | 'minor' | 'patch' | 'none' | 'initial';
type Level = 'major' | 'minor' | 'patch' | 'none';
const RANK: Record<Level, number> = { none: 0, patch: 1, minor: 2, major: 3 };

export interface BumpInput {
  type: string;
  breaking: boolean;
}

export interface NextVersion {
  /** The highest release tag's version reachable from the end of the range (null: no tag yet). */
  current: string | null;
  next: string;
  bump: Bump;
  /** Why, e.g. `1 breaking, 2 feat, 5 fix`. */
  reason: string;
  /** Commits that count (merge commits and changes reverted inside the range do not). */
  commits: number;
}

/** What one commit asks for, before the 0.x rules. */
export function commitLevel(c: BumpInput, config: VersioningConfig): Level {
  if (c.breaking) return 'major';
  if (config.minorTypes.includes(c.type)) return 'minor';
  if (config.patchTypes.includes(c.type)) return 'patch';
  return config.otherBump;
}

/** The largest level any commit asks for, with the 0.x rules applied when the version is below 1.0.0. */
export function levelOf(commits: readonly BumpInput[], base: string | null, config: VersioningConfig): Level {
  let level: Level = 'none';
  for (const c of commits) {
    const l = commitLevel(c, config);
    if (RANK[l] > RANK[level]) level = l;
    if (level === 'major') break;
  }
  if (base !== null && major(base) === 0) {
    if (level === 'major') return config.preMajorBreaking;
    if (level === 'minor') return config.preMajorFeat;
  }
  return level;
}

/** `1 breaking, 2 feat, 5 fix, 1 chore`: breaking first, then the types that bump, then the rest by count. */
export function describeCommits(commits: readonly BumpInput[], config: VersioningConfig): string {
  const counts = new Map<string, number>();
  const known = new Set([...config.minorTypes, ...config.patchTypes, ...config.sections.flatMap((s) => s.types)]);
  for (const c of commits) {
    const key = c.breaking ? 'breaking' : known.has(c.type) ? c.type : 'other';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const order = ['breaking', ...config.minorTypes, ...config.patchTypes];
  const rank = (t: string) => (order.includes(t) ? order.indexOf(t) : order.length);
  return [...counts.entries()]
    .sort(([a, x], [b, y]) => rank(a) - rank(b) || y - x || a.localeCompare(b))
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
}

/**
 * The next version. `commits` are those since the latest stable release (`stable`); `latest` is the latest
 * release of any kind (it may be a prerelease above `stable`). With `pre` the result is a prerelease:
 * `1.3.0-rc.0`, then `rc.1`… while the commits still call for 1.3.0; a breaking change moves it on to
 * `2.0.0-rc.0`. Without `pre`, a prerelease line graduates: `1.3.0-rc.4` → `1.3.0`.
 */
export function nextVersion(
  input: { latest: string | null; stable: string | null; commits: readonly BumpInput[]; pre: string | null },
  config: VersioningConfig,
): NextVersion {
  const { latest, stable, commits, pre } = input;
  const reason = describeCommits(commits, config);
  const result = (next: string, bump: Bump, why: string): NextVersion => ({
    current: latest,
    next,
    bump,
    reason: why,
    commits: commits.length,
  });
  const level = levelOf(commits, stable, config);
  let core: string;
  let bump: Bump;
  if (stable === null) {
    if (commits.length === 0 && latest === null) return result(config.initialVersion, 'none', 'no commits');
    core = config.initialVersion;
    bump = 'initial';
  } else if (level === 'none') {
    return result(stable, 'none', commits.length ? `${reason}: nothing that changes the version` : 'no commits');
  } else {
    core = inc(stable, level) ?? stable;
    bump = level;
  }
  const why = bump === 'initial' ? `first release${reason ? `: ${reason}` : ''}` : reason;
  // A prerelease line already announced a version at least this high: keep working towards it.
  if (latest !== null && prerelease(latest) !== null) {
    const announced = `${major(latest)}.${minor(latest)}.${patch(latest)}`;
    if (gte(announced, core) && (stable === null || gt(announced, stable))) core = announced;
  }
  if (pre === null) return result(core, bump, why);
  const latestPre = latest === null ? null : prerelease(latest);
  if (latest !== null && latestPre !== null && latest.startsWith(`${core}-`) && String(latestPre[0]) === pre) {
    return result(inc(latest, 'prerelease', pre) ?? `${core}-${pre}.0`, bump, why);
  }
  return result(`${core}-${pre}.0`, bump, why);
}

/** Why a prerelease identifier cannot be used, or null: `rc`, `beta`, `next` are fine. */
export function preIdProblem(pre: string): string | null {
  return /^[A-Za-z][0-9A-Za-z-]*$/.test(pre)
    ? null
    : `'${pre}' is not a prerelease identifier (a letter, then letters, digits or hyphens, e.g. rc)`;
}

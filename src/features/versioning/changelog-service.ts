import { AppError } from '../../platform/errors.js';
import { type BumpInput, nextVersion } from './bump.js';
import { cancelReverts, type ParsedCommit, ReleaseAssigner, readCommit, touches } from './commit-history.js';
import { type StartedLog, startLog } from './git-loader.js';
import { groupCommits, type ReleaseNotes, renderHeading, renderNotes } from './release-notes.js';
import { FETCH_HINT, type OpenRepo, openRepoAt, releaseTags, type Subject, utf8Warning } from './release-range-loader.js';
import { linksFor, type RepoLinks, webUrlOf } from './repo-links.js';
import { isPrerelease, type ReleaseTag } from './tag-format.js';
import type { VersioningConfig } from './versioning-config.js';

export interface ChangelogRelease {
  version: string;
  markdown: string;
  /** False for the section of commits after the latest tag (its version is the computed next one). */
  tagged: boolean;
}

export interface Changelog {
  /** The repository's top folder. */
  top: string;
  /** Newest first. */
  releases: ChangelogRelease[];
  warnings: string[];
}

const UNRELEASED = Number.POSITIVE_INFINITY;
const days = new Map<number, string>();
/** YYYY-MM-DD (UTC) of a time in seconds; releases share days, and a changelog dates a thousand of them. */
function day(seconds: number): string {
  const n = Math.floor(seconds / 86_400);
  let text = days.get(n);
  if (text === undefined) {
    text = new Date(n * 86_400_000).toISOString().slice(0, 10);
    days.set(n, text);
  }
  return text;
}

/**
 * The changelog over every release tag, from ONE `git log` walk: each commit is assigned to the lowest
 * release whose tag reaches it (O(commits + tags), see ReleaseAssigner), so the cost is that of reading the
 * history once, however many tags there are. A release is rendered (and its commits dropped) as soon as no
 * commit still to come can belong to it, so memory holds the releases in progress and the Markdown, not the
 * history.
 */
export async function fullChangelog(s: Subject, config: VersioningConfig, options: { repoUrl?: string | null } = {}): Promise<Changelog> {
  const repoUrl = options.repoUrl ?? config.repoUrl;
  const logArgs = (order: string[], rev: string) => [...order, ...(s.path ? ['--name-only', '--no-renames'] : []), '--end-of-options', rev];
  // git's default order (by commit date) streams from the first commit on, and lists children before parents
  // whenever commit dates follow the history; --topo-order always does, but reads the whole graph before it
  // prints anything. So the walk starts in the default order, while the repository, the revision and the
  // tags are looked up, and runs again in --topo-order only when the history's dates disagree with it.
  const log = startLog(s.dir, logArgs([], s.to));
  let range: OpenRepo & { tags: ReleaseTag[] };
  try {
    // Every tag is a candidate: the walk itself tells which ones are reachable (no ancestry checks needed).
    const opened = await openRepoAt(s.dir, s.to, s.format.refPattern, { remote: !repoUrl });
    range = { ...opened, tags: releaseTags(opened.tags, s.format) };
    if (range.repo.shallow) {
      throw new AppError('bad_request', `a full changelog needs the whole history, and this is a shallow clone: ${FETCH_HINT}`);
    }
  } catch (error) {
    log.stop();
    throw error;
  }
  const ascending = [...range.tags].reverse();
  const tagAt = new Map<string, number>();
  for (const [i, t] of ascending.entries()) tagAt.set(t.commit, i);
  const links = linksFor(repoUrl ?? webUrlOf(range.remote ?? ''));
  const walk: WalkContext = { s, config, tagAt, releases: ascending.length, tip: range.to, links };
  const walked = (await walkReleases(log, walk)) ?? (await walkReleases(startLog(s.dir, logArgs(['--topo-order'], range.to)), walk));
  if (!walked) throw new AppError('internal', 'git log --topo-order did not list children before parents');
  const { times, bodies } = walked;

  // Tags whose commit the walk never met are not reachable from `to`: not releases of this changelog. Of
  // several tags on one commit (v1.0.0-rc.3 and v1.0.0), the highest is the release.
  const reached = ascending.filter((t, i) => times.has(t.commit) && tagAt.get(t.commit) === i);
  const releases: ChangelogRelease[] = [];
  const unreleased = bodies.get(UNRELEASED);
  if (unreleased !== undefined) {
    releases.push(nextRelease(s, config, reached, walked.unreleasedBump, unreleased, times.get(range.to) ?? 0, links));
  }
  for (let k = reached.length - 1; k >= 0; k--) {
    const tag = reached[k] as ReleaseTag;
    const body = bodies.get(tagAt.get(tag.commit) ?? -1);
    if (body === undefined) continue;
    const heading = renderHeading(
      { from: reached[k - 1]?.name ?? null, version: tag.version, tag: tag.name, date: day(times.get(tag.commit) ?? 0) },
      links,
    );
    releases.push({ version: tag.version, markdown: `${heading}\n\n${body}`, tagged: true });
  }
  const warning = utf8Warning(walked.invalid);
  return { top: range.repo.top, releases, warnings: warning ? [warning] : [] };
}

interface WalkContext {
  s: Subject;
  config: VersioningConfig;
  /** Commit → index of the release tagged there, releases in ascending version order. */
  tagAt: ReadonlyMap<string, number>;
  releases: number;
  /** The commit the walk starts at (the revision, resolved). */
  tip: string;
  links: RepoLinks | null;
}

interface Walked {
  /** Committer times of the tagged commits and of the tip. */
  times: Map<string, number>;
  /** Each release's notes, without heading, by release index (`UNRELEASED` for the commits after the last tag). */
  bodies: Map<number, string>;
  unreleasedBump: BumpInput[];
  invalid: string[];
}

/**
 * Reads one log and renders every release's notes as the walk passes it. Null when the log did not list
 * children before parents (commit dates that go against the history): the caller walks again in topo order.
 */
async function walkReleases(log: StartedLog, w: WalkContext): Promise<Walked | null> {
  const { s, config, tagAt, links } = w;
  const times = new Map<string, number>();
  const buckets = new Map<number, ParsedCommit[]>();
  const bodies = new Map<number, string>();
  let unreleasedBump: BumpInput[] = [];
  const invalid: string[] = [];
  const close = (release: number) => {
    const commits = buckets.get(release);
    if (!commits) return;
    buckets.delete(release);
    const kept = cancelReverts(commits);
    if (release === UNRELEASED) unreleasedBump = kept.filter((c) => !c.merge).map((c) => ({ type: c.type, breaking: c.breaking }));
    const { sections, hidden, contributors } = groupCommits(kept, config);
    const notes = { from: null, to: '', version: '', tag: '', date: '', sections, hidden, contributors };
    bodies.set(release, renderNotes(notes, config, links, false));
  };
  let open = UNRELEASED;
  const closeAbove = (bound: number) => {
    for (; open > bound; open = open === UNRELEASED ? w.releases - 1 : open - 1) close(open);
  };

  const assigner = new ReleaseAssigner(tagAt);
  let first = true;
  await log.read((raw) => {
    if (first && raw.hash !== w.tip) {
      throw new AppError('conflict', `${s.to} moved to ${raw.hash.slice(0, 7)} while the changelog was read: run it again`);
    }
    first = false;
    const release = assigner.assign(raw.hash, raw.parents);
    if (assigner.outOfOrder()) return false;
    if (tagAt.has(raw.hash) || raw.hash === w.tip) times.set(raw.hash, raw.time);
    if (!s.path || (raw.parents.length <= 1 && touches(raw.files, s.path))) {
      const c = readCommit(raw);
      if (c.invalidUtf8) invalid.push(c.hash);
      const bucket = buckets.get(release);
      if (bucket) bucket.push(c);
      else buckets.set(release, [c]);
    }
    closeAbove(assigner.highestPending());
    return undefined;
  });
  if (!assigner.inOrder()) return null;
  closeAbove(-1);
  return { times, bodies, unreleasedBump, invalid };
}

/** The section of the commits after the latest tag, under the version the rules give them. */
function nextRelease(
  s: Subject,
  config: VersioningConfig,
  reached: readonly ReleaseTag[],
  commits: readonly BumpInput[],
  body: string,
  time: number,
  links: ReturnType<typeof linksFor>,
): ChangelogRelease {
  const latest = reached.at(-1) ?? null;
  const stable = reached.findLast((t) => !isPrerelease(t.version)) ?? null;
  const v = nextVersion({ latest: latest?.version ?? null, stable: stable?.version ?? null, commits, pre: s.pre }, config);
  const heading: Pick<ReleaseNotes, 'from' | 'version' | 'tag' | 'date'> = {
    from: latest?.name ?? null,
    version: v.next,
    tag: s.format.tagOf(v.next),
    date: day(time),
  };
  return { version: v.next, markdown: `${renderHeading(heading, links)}\n\n${body}`, tagged: false };
}

import type SemVer from 'semver/classes/semver.js';
import parse from 'semver/functions/parse.js';
import { AppError } from '../../platform/errors.js';
import { type ParsedCommit, readCommit } from './commit-history.js';
import { isAncestor, listTags, probeRepo, type RepoInfo, remoteUrl, resolveCommit, streamLog, type TagRef } from './git-loader.js';
import { isPrerelease, type ReleaseTag, type TagFormat } from './tag-format.js';

/** What to read: a repository folder, the revision the range ends at, a folder filter and a tag format. */
export interface Subject {
  dir: string;
  to: string;
  /** Folder inside the repository (from its top), or null for all of it. */
  path: string | null;
  format: TagFormat;
  pre: string | null;
}

/** A repository opened at a revision: its release tags, and the latest ones below the revision. */
export interface OpenRange {
  repo: RepoInfo;
  /** The commit the range ends at. */
  to: string;
  /** Every release tag of the format (reachable from `to` or not), highest first. */
  tags: ReleaseTag[];
  /** Release tags at `to` itself, highest first. */
  tagsAtTo: ReleaseTag[];
  /** The highest release below `to` (the tag at `to` does not count), of any kind and stable only. */
  latest: ReleaseTag | null;
  stable: ReleaseTag | null;
  remote: string | null;
}

/** A repository opened at a revision, with the tags (matching a pattern) reachable from it. */
export interface OpenRepo {
  repo: RepoInfo;
  /** The commit `to` names. */
  to: string;
  tags: TagRef[];
  remote: string | null;
}

/** Opens a repository at a revision in parallel git calls: repository check, revision, tags, remote. */
export async function openRepoAt(dir: string, to: string, pattern: string, options: { remote: boolean }): Promise<OpenRepo> {
  if (to.startsWith('-')) throw new AppError('bad_request', `'${to}' is not a revision (it starts with -)`);
  const [probe, tags, remote] = await Promise.allSettled([
    probeRepo(dir, to),
    listTags(dir, pattern),
    options.remote ? remoteUrl(dir) : Promise.resolve(null),
  ]);
  if (probe.status === 'rejected') throw probe.reason;
  const { commit, ...repo } = probe.value;
  if (!commit) throw unknownRevision(to, repo, dir);
  if (tags.status === 'rejected') throw tags.reason;
  return { repo, to: commit, tags: tags.value, remote: remote.status === 'fulfilled' ? remote.value : null };
}

/**
 * Opens the range of a subject (its release tags and the latest releases below the revision) and reads
 * what `read` needs from it. The highest candidate tags are nearly always the releases, so `read` starts
 * from them while their ancestry is checked; only when the check disagrees does it run again. That saves a
 * round of git processes on every command.
 */
export async function openRange<T>(
  s: Subject,
  options: { remote: boolean },
  read: (range: OpenRange) => Promise<T>,
): Promise<{ range: OpenRange; result: T }> {
  const opened = await openRepoAt(s.dir, s.to, s.format.refPattern, options);
  const tags = releaseTags(opened.tags, s.format);
  const make = (bases: { latest: ReleaseTag | null; stable: ReleaseTag | null }): OpenRange => ({
    repo: opened.repo,
    to: opened.to,
    tags,
    tagsAtTo: tags.filter((t) => t.commit === opened.to),
    remote: opened.remote,
    ...bases,
  });
  const below = tags.filter((t) => t.commit !== opened.to);
  const presumed = make({ latest: below[0] ?? null, stable: below.find((t) => !isPrerelease(t.version)) ?? null });
  const [checked, speculative] = await Promise.all([
    latestBelow(s.dir, tags, opened.to),
    read(presumed).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
  ]);
  if (checked.latest === presumed.latest && checked.stable === presumed.stable) {
    if ('error' in speculative) throw speculative.error;
    return { range: presumed, result: speculative.value };
  }
  const range = make(checked);
  return { range, result: await read(range) };
}

/** After this many tags that turn out not to be reachable, one reachability query answers for all of them. */
const CANDIDATE_CHECKS = 6;

/**
 * The highest release tag reachable from `commit` (the tag at `commit` itself does not count), of any kind
 * and stable only. `tags` are highest first; the first candidates are checked with `merge-base
 * --is-ancestor` (a short walk back from `commit`), which in the usual history answers on the first one.
 */
export async function latestBelow(
  dir: string,
  tags: readonly ReleaseTag[],
  commit: string,
): Promise<{ latest: ReleaseTag | null; stable: ReleaseTag | null }> {
  const below = tags.filter((t) => t.commit !== commit);
  let latest: ReleaseTag | null = null;
  let stable: ReleaseTag | null = null;
  const known = new Map<string, boolean>();
  let checks = 0;
  for (const t of below) {
    if (latest && isPrerelease(t.version)) continue;
    let reachable = known.get(t.commit);
    if (reachable === undefined) {
      if (checks++ === CANDIDATE_CHECKS) {
        const merged = new Set((await listTags(dir, 'refs/tags', commit)).map((m) => m.commit));
        for (const c of below) if (!known.has(c.commit)) known.set(c.commit, merged.has(c.commit));
        reachable = known.get(t.commit) ?? false;
      } else {
        reachable = await isAncestor(dir, t.commit, commit);
        known.set(t.commit, reachable);
      }
    }
    if (!reachable) continue;
    latest ??= t;
    if (!isPrerelease(t.version)) {
      stable = t;
      break;
    }
  }
  return { latest, stable };
}

/** The tags that name a version in this format, highest version first (each version parsed once). */
export function releaseTags(tags: readonly TagRef[], format: TagFormat): ReleaseTag[] {
  const keyed: { tag: ReleaseTag; key: SemVer }[] = [];
  for (const t of tags) {
    const candidate = format.candidateOf(t.name);
    const key = candidate === null ? null : parse(candidate);
    if (key && key.version === candidate) keyed.push({ tag: { name: t.name, version: candidate, commit: t.commit }, key });
  }
  return keyed.sort((a, b) => b.key.compare(a.key)).map((k) => k.tag);
}

function unknownRevision(rev: string, repo: RepoInfo, dir: string): AppError {
  if (rev === 'HEAD') return new AppError('bad_request', `the repository at ${repo.top} has no commits yet`);
  const hint = repo.shallow ? ` This is a shallow clone: ${FETCH_HINT}.` : '';
  return new AppError('bad_request', `unknown revision '${rev}': no tag, branch or commit of that name in ${dir}.${hint}`);
}

export const FETCH_HINT =
  'fetch the full history and the tags with `git fetch --unshallow --tags` (GitHub Actions: actions/checkout with fetch-depth: 0)';

/** A shallow clone whose fetched history holds no release tag cannot say where the release starts. */
export function assertBaseFetched(range: Pick<OpenRange, 'repo'>, base: ReleaseTag | null, s: Pick<Subject, 'format'>): void {
  if (!range.repo.shallow || base !== null) return;
  throw new AppError(
    'bad_request',
    `this is a shallow clone and no tag matching ${s.format.resolved} is in its history, so the previous release cannot be found: ${FETCH_HINT}`,
  );
}

/** Resolves `--from`: a tag (or any revision) the range starts after. */
export async function resolveFrom(s: Subject, range: OpenRange, from: string): Promise<ReleaseTag> {
  const commit = from.startsWith('-') ? null : await resolveCommit(s.dir, from);
  if (!commit) {
    const known = range.tags.slice(0, 5).map((t) => t.name);
    const hint = range.repo.shallow
      ? ` This is a shallow clone: ${FETCH_HINT}.`
      : known.length
        ? ` Latest tags: ${known.join(', ')}.`
        : ` No tags match ${s.format.resolved}.`;
    throw new AppError('bad_request', `unknown tag '${from}'.${hint}`);
  }
  if (range.repo.shallow && !(await isAncestor(s.dir, commit.hash, range.to))) {
    throw new AppError('bad_request', `${from} is not in the history of this shallow clone: ${FETCH_HINT}`);
  }
  return { name: from, version: s.format.versionOf(from) ?? from, commit: commit.hash };
}

export interface RangeCommits {
  /** Newest first, merge commits included. */
  commits: ParsedCommit[];
  /** Commits whose message is not valid UTF-8. */
  invalidUtf8: string[];
}

/** The commits after `base` up to `to` (touching `path`, if set), in one streamed `git log`. */
export async function readCommits(s: Subject, to: string, base: string | null): Promise<RangeCommits> {
  const args = [...(s.path ? ['--full-history'] : []), '--end-of-options', to, ...(base ? [`^${base}`] : [])];
  if (s.path) args.push('--', `:(top,literal)${s.path}`);
  const commits: ParsedCommit[] = [];
  const invalidUtf8: string[] = [];
  await streamLog(s.dir, args, (raw) => {
    const c = readCommit(raw);
    if (c.invalidUtf8) invalidUtf8.push(c.hash);
    commits.push(c);
    return undefined;
  });
  return { commits, invalidUtf8 };
}

export function utf8Warning(hashes: readonly string[]): string | null {
  if (hashes.length === 0) return null;
  const shown = hashes
    .slice(0, 3)
    .map((h) => h.slice(0, 7))
    .join(', ');
  const more = hashes.length > 3 ? ` and ${hashes.length - 3} more` : '';
  return `${hashes.length} commit message${hashes.length === 1 ? ' is' : 's are'} not valid UTF-8 (${shown}${more}); undecodable bytes are shown as �. Git re-encodes messages that declare their encoding (i18n.commitEncoding).`;
}

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../platform/errors.js';
import type { CatalogService } from '../products/catalog-service.js';
import type { Product } from '../products/product.js';
import { CHANGE_TYPES, type ChangeType, type NewChange } from '../releases/change.js';
import { type NextVersion, nextVersion } from './bump.js';
import { cancelReverts, normalizePath, type ParsedCommit } from './commit-history.js';
import { commitTime, probeRepo } from './git-loader.js';
import { groupCommits, type ReleaseNotes, renderNotes } from './release-notes.js';
import {
  assertBaseFetched,
  type OpenRange,
  openRange,
  readCommits,
  resolveFrom,
  type Subject,
  utf8Warning,
} from './release-range-loader.js';
import { linksFor, type RepoLinks, webUrlOf } from './repo-links.js';
import { compileTagFormat, type ReleaseTag } from './tag-format.js';
import type { VersioningConfig } from './versioning-config.js';
import { loadVersioningSettings } from './versioning-config-loader.js';

export interface VersionReport extends NextVersion {
  /** The tag the next version gets, e.g. `v1.3.0`. */
  tag: string;
  /** The release tag the commits were counted from (null: from the first commit). */
  from: string | null;
  to: string;
}

export interface NotesReport {
  notes: ReleaseNotes;
  /** The repository's top folder, the commit the range ends at, and every release tag reachable from it. */
  top: string;
  commit: string;
  tags: ReleaseTag[];
  /** The version rules' answer for the range's end (the notes' version is the tag at `to` when there is one). */
  version: VersionReport;
  /** The commits the notes cover, newest first, reverted pairs removed. */
  commits: ParsedCommit[];
  links: RepoLinks | null;
  warnings: string[];
  markdown(heading: boolean): string;
}

export interface NotesOptions {
  from?: string | null;
  repoUrl?: string | null;
  /** Answer an empty range with empty notes instead of an error (the changelog has nothing to add). */
  allowEmpty?: boolean;
}

const counted = (commits: readonly ParsedCommit[]) => cancelReverts(commits.filter((c) => !c.merge));

function dayOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** `railyard version`: the next version after the latest release reachable from `to`, and why. */
export async function computeVersion(s: Subject, config: VersioningConfig): Promise<VersionReport & { warnings: string[] }> {
  const { range, result } = await openRange(s, { remote: false }, (r) => readCommits(s, r.to, r.stable?.commit ?? null));
  assertBaseFetched(range, range.stable, s);
  const { commits, invalidUtf8 } = result;
  const report = versionReport(range, s, counted(commits), config);
  return { ...report, warnings: [utf8Warning(invalidUtf8)].filter((w): w is string => w !== null) };
}

function versionReport(range: OpenRange, s: Subject, commits: readonly ParsedCommit[], config: VersioningConfig): VersionReport {
  const v = nextVersion({ latest: range.latest?.version ?? null, stable: range.stable?.version ?? null, commits, pre: s.pre }, config);
  return { ...v, tag: s.format.tagOf(v.next), from: range.stable?.name ?? null, to: s.to };
}

/**
 * `railyard notes`: release notes for the commits after the previous release (or `from`) up to `to`. A
 * prerelease's notes start at the previous prerelease; a stable release's at the previous stable one.
 */
export async function computeNotes(s: Subject, config: VersioningConfig, options: NotesOptions = {}): Promise<NotesReport> {
  const repoUrl = options.repoUrl ?? config.repoUrl;
  const { range, result } = await openRange(s, { remote: !repoUrl }, async (r) => {
    const prerelease = s.pre !== null || r.tagsAtTo[0]?.version.includes('-') === true;
    const notesBase = options.from ? await resolveFrom(s, r, options.from) : prerelease ? r.latest : r.stable;
    const sameRange = notesBase?.commit === r.stable?.commit;
    const [forNotes, forBump] = await Promise.all([
      readCommits(s, r.to, notesBase?.commit ?? null),
      sameRange ? null : readCommits(s, r.to, r.stable?.commit ?? null),
    ]);
    return { notesBase, forNotes, forBump };
  });
  const { notesBase, forNotes, forBump } = result;
  const tagged = range.tagsAtTo[0] ?? null;
  if (!options.from) assertBaseFetched(range, notesBase, s);
  // The range's last commit is listed first, unless a folder filter left it out.
  const first = forNotes.commits[0];
  const time = first?.hash === range.to ? first.time : await commitTime(s.dir, range.to);
  if (forNotes.commits.length === 0 && !options.allowEmpty) {
    const where = s.path ? ` that touch ${s.path}` : '';
    throw new AppError(
      'bad_request',
      `no commits${where} between ${notesBase?.name ?? 'the first commit'} and ${s.to}: nothing to write notes about`,
    );
  }
  const commits = cancelReverts(forNotes.commits);
  const version = versionReport(range, s, counted((forBump ?? forNotes).commits), config);
  const links = linksFor(repoUrl ?? webUrlOf(range.remote ?? ''));
  const notes: ReleaseNotes = {
    from: notesBase?.name ?? null,
    to: s.to,
    version: tagged?.version ?? version.next,
    tag: tagged?.name ?? version.tag,
    date: dayOf(time),
    ...groupCommits(commits, config),
  };
  const warning = utf8Warning([...forNotes.invalidUtf8, ...(forBump?.invalidUtf8 ?? [])].filter((h, i, a) => a.indexOf(h) === i));
  return {
    notes,
    top: range.repo.top,
    commit: range.to,
    tags: range.tags,
    version,
    commits,
    links,
    warnings: warning ? [warning] : [],
    markdown: (heading) => renderNotes(notes, config, links, heading),
  };
}

export interface ReleasePreview {
  product: string;
  /** The version rules' answer; `next` is the version the release gets (the tag at `to` when there is one). */
  version: VersionReport;
  notes: ReleaseNotes;
  /** The notes as Markdown, without the version heading: what the release record keeps. */
  markdown: string;
  scope: NewChange[];
  /** The commit the release is cut at. */
  commit: string;
  warnings: string[];
}

/** What `release cut` would record, and what the preview API returns: version, notes and scope. */
export async function previewRelease(
  s: Subject,
  product: string,
  config: VersioningConfig,
  options: NotesOptions = {},
): Promise<ReleasePreview> {
  const r = await computeNotes(s, config, { ...options, allowEmpty: true });
  return {
    product,
    version: { ...r.version, next: r.notes.version, tag: r.notes.tag },
    notes: r.notes,
    markdown: r.markdown(false),
    scope: scopeOf(r.commits, r.links),
    commit: r.commit,
    warnings: r.warnings,
  };
}

/** The release's scope: every commit of the range but merges, oldest first; a squash-merged PR is a pull request. */
export function scopeOf(commits: readonly ParsedCommit[], links: RepoLinks | null): NewChange[] {
  const out: NewChange[] = [];
  for (let i = commits.length - 1; i >= 0; i--) {
    const c = commits[i] as ParsedCommit;
    if (c.merge) continue;
    const subject = (c.subject || c.hash.slice(0, 7)).slice(0, 500);
    const change: NewChange = {
      kind: c.pr === null ? 'commit' : 'pull_request',
      type: (CHANGE_TYPES as readonly string[]).includes(c.type) ? (c.type as ChangeType) : 'other',
      ref: c.pr === null ? c.hash : `#${c.pr}`,
      title: c.scope ? `${c.scope}: ${subject}` : subject,
      breaking: c.breaking,
    };
    // Absent values are left out rather than null: the API's change schema takes strings or nothing.
    if (c.authorName) change.author = c.authorName;
    if (links) change.link = c.pr === null ? links.commit(c.hash) : links.pr(c.pr);
    out.push(change);
  }
  return out;
}

/** Where the server finds a product's repository: a local path (or file:// URL); a remote URL cannot be read. */
export function localRepoOf(product: Pick<Product, 'key' | 'repo'>): string {
  const repo = product.repo;
  if (!repo) {
    throw new AppError(
      'bad_request',
      `product ${product.key} has no repo: set products[].repo in railyard.yaml to the path of a local clone`,
    );
  }
  if (repo.startsWith('file://')) return fileURLToPath(repo);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[\w.-]+@[\w.-]+:/.test(repo)) {
    throw new AppError(
      'bad_request',
      `product ${product.key}'s repo is ${repo}, a remote URL: the server previews releases from a local clone only; set repo to a local path, or run \`railyard release cut ${product.key}\` in a checkout`,
    );
  }
  return resolve(repo);
}

/** The versioning use case of the HTTP API: preview the next release of a product from its local repository. */
export class VersioningService {
  constructor(private readonly deps: { catalog: Pick<CatalogService, 'product'> }) {}

  async preview(key: string, options: { to?: string; pre?: string }): Promise<ReleasePreview> {
    const product = await this.deps.catalog.product(key);
    const dir = localRepoOf(product);
    const { top } = await probeRepo(dir);
    const settings = await loadVersioningSettings(undefined, top);
    const format = compileTagFormat(product.tagFormat, product.key);
    const subject: Subject = { dir, to: options.to ?? 'HEAD', path: normalizePath(product.path), format, pre: options.pre ?? null };
    return previewRelease(subject, product.key, settings.config);
  }
}

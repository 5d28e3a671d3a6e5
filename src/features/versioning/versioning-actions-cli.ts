import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Client } from '../../cli/client.js';
import type { GlobalOptions } from '../../cli/context.js';
import { emit, table } from '../../cli/output.js';
import { AppError } from '../../platform/errors.js';
import { DEFAULT_TAG_FORMAT } from '../products/product.js';
import { prependSection, wholeChangelog } from './changelog.js';
import { fullChangelog } from './changelog-service.js';
import { normalizePath } from './commit-history.js';
import { createAnnotatedTag, resolveCommit } from './git-loader.js';
import { computeAllVersions } from './monorepo-service.js';
import type { Subject } from './release-range-loader.js';
import { compileTagFormat } from './tag-format.js';
import type { VersioningConfig } from './versioning-config.js';
import { loadVersioningSettings } from './versioning-config-loader.js';
import { describeVersion, type RangeOptions, warn } from './versioning-options-cli.js';
import { computeNotes, computeVersion, previewRelease } from './versioning-service.js';

/**
 * The bodies of the versioning commands. versioning-cli.ts registers the commands at start-up and loads this
 * module (one bundle chunk with everything the commands need) only when one of them runs.
 */

/** The subject of a command: from its options, filled in from a product of railyard.yaml with --product. */
async function prepare(o: RangeOptions) {
  const settings = await loadVersioningSettings(o.config);
  let declared: { key: string; path: string | null; tagFormat: string } | undefined;
  if (o.product) {
    if (!settings.file)
      throw new AppError('bad_request', '--product needs railyard.yaml: there is none in this folder (pass --config FILE)');
    declared = settings.products.find((p) => p.key === o.product);
    if (!declared) {
      const keys = settings.products.map((p) => p.key);
      throw new AppError(
        'not_found',
        `product '${o.product}' is not declared in ${settings.file}${keys.length ? ` (declared: ${keys.join(', ')})` : ''}`,
      );
    }
  }
  const path = normalizePath(o.path ?? declared?.path);
  const name = o.name ?? declared?.key ?? (path ? (path.split('/').at(-1) ?? null) : null);
  const format = compileTagFormat(o.tagFormat ?? declared?.tagFormat ?? DEFAULT_TAG_FORMAT, name);
  const subject: Subject = { dir: o.repo, to: o.to, path, format, pre: o.pre ?? null };
  return { subject, settings };
}

export async function runVersion(o: RangeOptions & { all?: boolean }, g: GlobalOptions): Promise<number> {
  if (o.all) return runVersionAll(o, g);
  const { subject, settings } = await prepare(o);
  const { warnings, ...report } = await computeVersion(subject, settings.config);
  warn(warnings);
  await emit(g.json, report, () => describeVersion(report));
  return 0;
}

async function runVersionAll(o: RangeOptions, g: GlobalOptions): Promise<number> {
  if (o.product || o.path || o.tagFormat) {
    throw new AppError(
      'bad_request',
      "--all takes each product's path and tag format from railyard.yaml: leave out --product, --path and --tag-format",
    );
  }
  const settings = await loadVersioningSettings(o.config);
  if (!settings.file) throw new AppError('bad_request', '--all needs railyard.yaml (none in this folder; pass --config FILE)');
  const targets = settings.products.map((p) => ({ key: p.key, path: normalizePath(p.path), format: compileTagFormat(p.tagFormat, p.key) }));
  const { items, warnings } = await computeAllVersions(o.repo, o.to, targets, o.pre ?? null, settings.config);
  warn(warnings);
  await emit(g.json, items, () =>
    table(
      ['PRODUCT', 'CURRENT', 'NEXT', 'BUMP', 'REASON'],
      items.map((i) => [i.product, i.current, i.next, i.bump, i.commits ? `${i.reason} (${i.commits} commits)` : i.reason]),
    ),
  );
  return 0;
}

export async function runNotes(
  o: RangeOptions & { from?: string; format: 'md' | 'json'; repoUrl?: string },
  g: GlobalOptions,
): Promise<number> {
  const { subject, settings } = await prepare(o);
  const report = await computeNotes(subject, settings.config, { from: o.from, repoUrl: o.repoUrl });
  warn(report.warnings);
  await emit(g.json || o.format === 'json', report.notes, () => report.markdown(true).trimEnd());
  return 0;
}

interface ChangelogOptions extends RangeOptions {
  file?: string;
  all?: boolean;
  stdout?: boolean;
  repoUrl?: string;
}

export async function runChangelog(o: ChangelogOptions, g: GlobalOptions): Promise<number> {
  const { subject, settings } = await prepare(o);
  const result = o.all ? await wholeFile(subject, settings.config, o) : await newSection(subject, settings.config, o);
  warn(result.warnings);
  if (o.stdout) {
    process.stdout.write(result.text);
    return 0;
  }
  const action = result.before === null ? 'created' : result.before === result.text ? 'unchanged' : 'updated';
  if (action !== 'unchanged') writeFileSync(result.file, result.text);
  const shown = relative('.', result.file) || result.file;
  const data = { file: shown, action, version: result.version, releases: result.releases };
  await emit(g.json, data, () =>
    action === 'unchanged' ? `${shown} is up to date (${result.version ?? 'no releases'})` : `${action} ${shown}: ${result.summary}`,
  );
  return 0;
}

interface FileResult {
  file: string;
  before: string | null;
  text: string;
  version: string | null;
  releases: number;
  summary: string;
  warnings: string[];
}

function readExisting(file: string): string | null {
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

async function newSection(s: Subject, config: VersioningConfig, o: ChangelogOptions): Promise<FileResult> {
  const report = await computeNotes(s, config, { repoUrl: o.repoUrl, allowEmpty: true });
  const file = o.file ?? join(report.top, s.path ?? '', 'CHANGELOG.md');
  const before = readExisting(file);
  const result: FileResult = { file, before, text: before ?? '', version: null, releases: 0, summary: '', warnings: report.warnings };
  if (report.commits.length === 0) return result;
  const base = report.notes.from ? s.format.versionOf(report.notes.from) : null;
  const tagged = new Set(report.tags.map((t) => t.version));
  const section = { version: report.notes.version, markdown: report.markdown(true) };
  return {
    ...result,
    text: prependSection(before, section, base, (v) => tagged.has(v)),
    version: report.notes.version,
    releases: 1,
    summary: `section ${report.notes.version} (${report.commits.length} commits since ${report.notes.from ?? 'the first commit'})`,
  };
}

async function wholeFile(s: Subject, config: VersioningConfig, o: ChangelogOptions): Promise<FileResult> {
  const log = await fullChangelog(s, config, { repoUrl: o.repoUrl });
  const file = o.file ?? join(log.top, s.path ?? '', 'CHANGELOG.md');
  const before = readExisting(file);
  return {
    file,
    before,
    text: wholeChangelog(
      before,
      log.releases.map((r) => r.markdown),
    ),
    version: log.releases[0]?.version ?? null,
    releases: log.releases.length,
    summary: `${log.releases.length} release${log.releases.length === 1 ? '' : 's'}`,
    warnings: log.warnings,
  };
}

export interface CutOptions {
  repo: string;
  to: string;
  pre?: string;
  tag?: boolean;
  title?: string;
  targetDate?: string;
  train?: string;
  repoUrl?: string;
  config?: string;
}

/** `release cut`: version, notes and scope from git, recorded through the client (database or server), then the tag. */
export async function runCut(client: Client, key: string, o: CutOptions, g: GlobalOptions): Promise<number> {
  const product = await client.product(key);
  const { subject, settings } = await prepare({
    repo: o.repo,
    to: o.to,
    pre: o.pre,
    config: o.config,
    path: product.path ?? undefined,
    tagFormat: product.tagFormat,
    name: product.key,
  });
  const preview = await previewRelease(subject, key, settings.config, { repoUrl: o.repoUrl });
  warn(preview.warnings);
  const { version } = preview;
  if (preview.scope.length === 0 || version.bump === 'none') {
    throw new AppError('bad_request', `nothing to release for ${key}: ${version.reason}${version.from ? ` since ${version.from}` : ''}`);
  }
  const tag = version.tag;
  let tagNeeded = o.tag === true;
  if (tagNeeded) {
    const existing = await resolveCommit(subject.dir, `refs/tags/${tag}`);
    if (existing && existing.hash !== preview.commit) {
      throw new AppError('conflict', `tag ${tag} already exists at ${existing.hash.slice(0, 7)}, not at ${preview.commit.slice(0, 7)}`);
    }
    tagNeeded = existing === null;
  }
  // One call, one transaction: the release exists with all of its scope, or not at all.
  const created = await client.createRelease({
    product: key,
    version: version.next,
    title: o.title,
    targetDate: o.targetDate,
    train: o.train,
    notes: preview.markdown,
    changes: preview.scope,
  });
  if (tagNeeded) await createAnnotatedTag(subject.dir, tag, preview.commit, `${key} ${version.next}\n\n${preview.markdown}`);
  const changes = preview.scope.length;
  const data = { release: created, version, changes, tag: o.tag ? tag : null, tagged: tagNeeded };
  const why = version.bump === 'initial' ? version.reason : `${version.bump} bump: ${version.reason}`;
  const tagLine = tagNeeded ? `tagged ${tag} at ${preview.commit.slice(0, 7)}` : `tag ${tag} was already at ${preview.commit.slice(0, 7)}`;
  await emit(g.json, data, () =>
    [`created ${created.ref} (${created.status}): ${changes} change${changes === 1 ? '' : 's'}, ${why}`, ...(o.tag ? [tagLine] : [])].join(
      '\n',
    ),
  );
  return 0;
}

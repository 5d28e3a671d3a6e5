import type { ParsedCommit } from './commit-history.js';
import type { RepoLinks } from './repo-links.js';
import type { VersioningConfig } from './versioning-config.js';

/** One line of release notes. Field names are part of the `--json` contract (docs/CLI.md). */
export interface NoteEntry {
  /** Full commit hash. */
  hash: string;
  type: string;
  scope: string | null;
  subject: string;
  breaking: boolean;
  pr: number | null;
  issues: number[];
  authors: string[];
  /** The BREAKING CHANGE text, for breaking entries that have one. */
  note: string | null;
}

export interface NotesSection {
  /** `breaking`, or the first commit type the section lists (`feat`, `fix`…). */
  type: string;
  title: string;
  entries: NoteEntry[];
}

export interface ReleaseNotes {
  /** The tag the range starts after (null: from the first commit). */
  from: string | null;
  /** The revision the range ends at, as given (`HEAD`, a tag, a hash). */
  to: string;
  version: string;
  /** The tag of `version` in the product's tag format. */
  tag: string;
  /** Day of the last commit of the range, YYYY-MM-DD (UTC). */
  date: string;
  sections: NotesSection[];
  /** Commits not shown, by type (`merge` for merge commits): nothing is dropped silently. */
  hidden: Record<string, number>;
  contributors: string[];
}

export function toEntry(c: ParsedCommit): NoteEntry {
  return {
    hash: c.hash,
    type: c.type,
    scope: c.scope,
    subject: c.subject,
    breaking: c.breaking,
    pr: c.pr,
    issues: c.issues,
    authors: c.coAuthors.length === 0 ? (c.authorName ? [c.authorName] : []) : unique([c.authorName, ...c.coAuthors].filter(Boolean)),
    note: c.breaking ? c.breakingNote : null,
  };
}

const sectionIndexes = new WeakMap<VersioningConfig, Map<string, number>>();

/** Commit type → index of the section that lists it, once per configuration (a changelog groups a thousand releases). */
function sectionOfType(config: VersioningConfig): Map<string, number> {
  let listed = sectionIndexes.get(config);
  if (!listed) {
    listed = new Map();
    for (const [i, s] of config.sections.entries()) for (const t of s.types) if (!listed.has(t)) listed.set(t, i);
    sectionIndexes.set(config, listed);
  }
  return listed;
}

/**
 * Groups the commits of one release into sections: breaking changes first, then the configured sections in
 * their order. A type no section lists counts as `other`. `commits` are newest first (after reverts were
 * cancelled); entries come out oldest first, the order the changes were made.
 */
export function groupCommits(
  commits: readonly ParsedCommit[],
  config: VersioningConfig,
): Pick<ReleaseNotes, 'sections' | 'hidden' | 'contributors'> {
  const listed = sectionOfType(config);
  const breaking: NoteEntry[] = [];
  const bySection = config.sections.map(() => [] as NoteEntry[]);
  // Counted in a Map: a property added to a fresh object per commit type is a slow store in V8, and a
  // changelog groups a thousand releases.
  const hiddenCounts = new Map<string, number>();
  const people = new Map<string, string>();
  const hide = (key: string) => {
    hiddenCounts.set(key, (hiddenCounts.get(key) ?? 0) + 1);
  };
  for (let i = commits.length - 1; i >= 0; i--) {
    const c = commits[i] as ParsedCommit;
    if (c.merge && !config.merges) {
      hide('merge');
      continue;
    }
    addPerson(people, c.authorName);
    for (const name of c.coAuthors) addPerson(people, name);
    if (c.breaking) {
      breaking.push(toEntry(c));
      continue;
    }
    const known = listed.has(c.type);
    const type = known ? c.type : 'other';
    const index = listed.get(type);
    const section = index === undefined ? undefined : config.sections[index];
    if (index === undefined || !section || section.hidden) hide(type);
    // A type no section lists (`Tests: …`, `wip: …`) is shown as written, under `other`.
    else {
      const entry = toEntry(c);
      if (!known) {
        entry.scope = null;
        entry.subject = withoutPr(c.header);
      }
      bySection[index]?.push(entry);
    }
  }
  const sections: NotesSection[] = [];
  if (breaking.length) sections.push({ type: 'breaking', title: config.breakingTitle, entries: breaking });
  config.sections.forEach((s, i) => {
    const entries = bySection[i] ?? [];
    if (entries.length) sections.push({ type: s.types[0] ?? 'other', title: s.title, entries });
  });
  // Sorted by their lower-case keys: case-insensitive without a collator (a changelog sorts thousands of lists).
  const contributors = config.contributors
    ? Array.from(people.keys())
        .sort()
        .map((k) => people.get(k) as string)
    : [];
  return { sections, hidden: Object.fromEntries(hiddenCounts), contributors };
}

type EntryPart = string | ((e: NoteEntry, links: RepoLinks | null) => string);
const link = (text: string, url: string | undefined) => (url ? `[${text}](${url})` : text);
const PLACEHOLDERS: Record<string, (e: NoteEntry, links: RepoLinks | null) => string> = {
  scope: (e) => (e.scope ? `**${e.scope}:** ` : ''),
  subject: (e) => e.subject,
  pr: (e, l) => (e.pr === null ? '' : ` (${link(`#${e.pr}`, l?.pr(e.pr))})`),
  commit: (e, l) => ` (${link(e.hash.slice(0, 7), l?.commit(e.hash))})`,
  issues: (e, l) => (e.issues.length ? `, closes ${e.issues.map((n) => link(`#${n}`, l?.issue(n))).join(', ')}` : ''),
  hash: (e) => e.hash,
  short: (e) => e.hash.slice(0, 7),
  type: (e) => e.type,
  authors: (e) => e.authors.join(', '),
};
const compiled = new Map<string, EntryPart[]>();

/** The template split once into text and placeholders: a changelog renders tens of thousands of entries. */
function compileEntry(template: string): EntryPart[] {
  let parts = compiled.get(template);
  if (!parts) {
    parts = template.split(/(\{\w+\})/).map((p) => PLACEHOLDERS[p.slice(1, -1)] ?? p);
    compiled.set(template, parts);
  }
  return parts;
}

/** One entry line from the configured template (default `{scope}{subject}{pr}{commit}{issues}`). */
export function renderEntry(e: NoteEntry, template: string, links: RepoLinks | null): string {
  let out = '';
  for (const part of compileEntry(template)) out += typeof part === 'string' ? part : part(e, links);
  return out;
}

/** `## [1.3.0](compare link) (2026-11-26)`: the heading of a release's section in CHANGELOG.md. */
export function renderHeading(notes: Pick<ReleaseNotes, 'from' | 'version' | 'tag' | 'date'>, links: RepoLinks | null): string {
  const title = links && notes.from ? `[${notes.version}](${links.compare(notes.from, notes.tag)})` : notes.version;
  return `## ${title} (${notes.date})`;
}

/**
 * Release notes as Markdown. With `heading`, a `## [version](compare link) (date)` line first (the form a
 * CHANGELOG.md section has); without it, just the sections (the form a release record keeps).
 */
export function renderNotes(notes: ReleaseNotes, config: VersioningConfig, links: RepoLinks | null, heading: boolean): string {
  const out: string[] = [];
  if (heading) out.push(renderHeading(notes, links), '');
  for (const s of notes.sections) {
    out.push(`### ${s.title}`, '');
    for (const e of s.entries) {
      out.push(`- ${renderEntry(e, config.entry, links)}`);
      if (e.note && e.note !== e.subject) out.push('', ...e.note.split('\n').map((l) => (l ? `  ${l}` : '')), '');
    }
    out.push('');
  }
  if (notes.sections.length === 0) {
    const hidden = Object.entries(notes.hidden).map(([t, n]) => `${n} ${t}`);
    out.push(`No notable changes${hidden.length ? ` (not shown: ${hidden.join(', ')})` : ''}.`, '');
  }
  if (notes.contributors.length) out.push('### Contributors', '', notes.contributors.join(', '), '');
  while (out.at(-1) === '') out.pop();
  const text = out.join('\n');
  return `${text.includes('\n\n\n') ? text.replace(/\n{3,}/g, '\n\n') : text}\n`;
}

function withoutPr(header: string): string {
  const at = header.endsWith(')') ? header.lastIndexOf(' (#') : -1;
  return at > 0 && /^ \(#\d+\)$/.test(header.slice(at)) ? header.slice(0, at) : header;
}

function addPerson(people: Map<string, string>, name: string): void {
  if (!name) return;
  const key = name.toLowerCase();
  if (!people.has(key)) people.set(key, name);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

import type { VersioningConfigFile } from './versioning-config-schema.js';

/** The placeholders an entry template may use (see docs/VERSIONING.md). */
export const ENTRY_PLACEHOLDERS = ['scope', 'subject', 'pr', 'commit', 'issues', 'hash', 'short', 'type', 'authors'] as const;

export interface NotesSectionConfig {
  title: string;
  types: string[];
  hidden: boolean;
}

/** The versioning settings with every default filled in. */
export interface VersioningConfig {
  initialVersion: string;
  minorTypes: string[];
  patchTypes: string[];
  otherBump: 'none' | 'patch';
  preMajorBreaking: 'minor' | 'major';
  preMajorFeat: 'minor' | 'patch';
  sections: NotesSectionConfig[];
  breakingTitle: string;
  entry: string;
  contributors: boolean;
  merges: boolean;
  repoUrl: string | null;
}

export const DEFAULT_SECTIONS: readonly NotesSectionConfig[] = [
  { title: 'Features', types: ['feat'], hidden: false },
  { title: 'Bug fixes', types: ['fix'], hidden: false },
  { title: 'Performance', types: ['perf'], hidden: false },
  { title: 'Reverts', types: ['revert'], hidden: false },
  { title: 'Dependencies', types: ['deps'], hidden: false },
  { title: 'Documentation', types: ['docs'], hidden: true },
  { title: 'Refactoring', types: ['refactor'], hidden: true },
  { title: 'Tests', types: ['test'], hidden: true },
  { title: 'Build', types: ['build'], hidden: true },
  { title: 'Continuous integration', types: ['ci'], hidden: true },
  { title: 'Styles', types: ['style'], hidden: true },
  { title: 'Chores', types: ['chore'], hidden: true },
  { title: 'Other changes', types: ['other'], hidden: false },
];

export const DEFAULT_ENTRY = '{scope}{subject}{pr}{commit}{issues}';

export function resolveVersioningConfig(file: VersioningConfigFile | undefined): VersioningConfig {
  const bump = file?.bump ?? {};
  const notes = file?.notes ?? {};
  return {
    initialVersion: file?.initialVersion ?? '1.0.0',
    minorTypes: bump.minor ?? ['feat'],
    patchTypes: bump.patch ?? ['fix', 'perf', 'revert', 'deps'],
    otherBump: (bump.other as 'none' | 'patch' | undefined) ?? 'none',
    preMajorBreaking: (bump.preMajorBreaking as 'minor' | 'major' | undefined) ?? 'minor',
    preMajorFeat: (bump.preMajorFeat as 'minor' | 'patch' | undefined) ?? 'minor',
    sections:
      notes.sections?.map((s) => ({ title: s.title, types: s.types, hidden: s.hidden ?? false })) ??
      DEFAULT_SECTIONS.map((s) => ({ ...s })),
    breakingTitle: notes.breakingTitle ?? 'Breaking changes',
    entry: notes.entry ?? DEFAULT_ENTRY,
    contributors: notes.contributors ?? true,
    merges: notes.merges ?? false,
    repoUrl: notes.repoUrl ?? null,
  };
}

/** Problems the schema cannot express, as (path, message) pairs under `versioning`. */
export function versioningConfigProblems(file: VersioningConfigFile | undefined): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const entry = file?.notes?.entry;
  if (entry) {
    for (const m of entry.matchAll(/\{([^}]*)\}/g)) {
      if (!(ENTRY_PLACEHOLDERS as readonly string[]).includes(m[1] ?? '')) {
        problems.push({
          path: ['versioning', 'notes', 'entry'],
          message: `unknown placeholder {${m[1]}} (use ${ENTRY_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`,
        });
      }
    }
  }
  const seen = new Map<string, number>();
  (file?.notes?.sections ?? []).forEach((s, i) => {
    s.types.forEach((t, j) => {
      const earlier = seen.get(t);
      if (earlier !== undefined) {
        problems.push({
          path: ['versioning', 'notes', 'sections', i, 'types', j],
          message: `type '${t}' is already in sections[${earlier}]`,
        });
      } else {
        seen.set(t, i);
      }
    });
  });
  return problems;
}

import gt from 'semver/functions/gt.js';
import valid from 'semver/functions/valid.js';

export const CHANGELOG_HEADER = '# Changelog\n\nAll notable changes to this project are documented in this file.\n';

interface Section {
  version: string | null;
  text: string;
}

/** Splits CHANGELOG.md into the text before the first version heading and one part per version. */
export function splitChangelog(text: string): { header: string; sections: Section[] } {
  const lines = text.split('\n');
  const starts: number[] = [];
  lines.forEach((line, i) => {
    if (/^#{1,2} /.test(line) && versionInHeading(line) !== null) starts.push(i);
  });
  if (starts.length === 0) return { header: text, sections: [] };
  const header = lines.slice(0, starts[0]).join('\n');
  const sections = starts.map((start, k) => {
    const body = lines.slice(start, starts[k + 1] ?? lines.length).join('\n');
    return { version: versionInHeading(lines[start] ?? ''), text: body };
  });
  return { header, sections };
}

/**
 * The version a heading names: `## [1.3.0](…) (2026-11-26)`, `## v1.3.0`, `# [2.0.0] - 2026-11-26`
 * (conventional-changelog writes majors with one `#`), `## web@1.3.0`.
 */
export function versionInHeading(line: string): string | null {
  const m = /^#{1,2} \[?[^\s\d[\]]*?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)/.exec(line);
  const v = m?.[1] ?? null;
  return v !== null && valid(v) === v ? v : null;
}

/**
 * Puts the section of a new version at the top of CHANGELOG.md. A section for the same version, and sections
 * for versions above `base` that were never tagged (earlier previews of this release), are replaced, so
 * running it twice, or again after more commits, leaves one section per release.
 */
export function prependSection(
  existing: string | null,
  section: { version: string; markdown: string },
  base: string | null,
  isTagged: (version: string) => boolean,
): string {
  if (existing === null || existing.trim() === '') return joinChangelog(CHANGELOG_HEADER, [section.markdown]);
  const { header, sections } = splitChangelog(existing);
  const superseded = (v: string | null) => v !== null && (v === section.version || (base !== null && !isTagged(v) && gt(v, base)));
  const kept = sections.filter((s) => !superseded(s.version)).map((s) => s.text);
  return joinChangelog(header.trim() === '' ? CHANGELOG_HEADER : header, [section.markdown, ...kept]);
}

/** The whole file from every release's section, newest first, keeping the text above the first version. */
export function wholeChangelog(existing: string | null, sections: readonly string[]): string {
  const header = existing ? splitChangelog(existing).header : '';
  return joinChangelog(header.trim() === '' ? CHANGELOG_HEADER : header, sections);
}

function joinChangelog(header: string, sections: readonly string[]): string {
  const parts = [header.trimEnd(), ...sections.map((s) => s.trim())].filter((p) => p !== '');
  return `${parts.join('\n\n')}\n`;
}

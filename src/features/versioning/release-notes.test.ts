import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prependSection, splitChangelog, versionInHeading, wholeChangelog } from './changelog.js';
import { type ParsedCommit, readCommit } from './commit-history.js';
import { groupCommits, type ReleaseNotes, renderNotes } from './release-notes.js';
import { linksFor, webUrlOf } from './repo-links.js';
import { compileTagFormat } from './tag-format.js';
import { resolveVersioningConfig, versioningConfigProblems } from './versioning-config.js';

const config = resolveVersioningConfig(undefined);
let n = 0;
const commit = (message: string, author = 'Ada', parents = 1): ParsedCommit =>
  readCommit({
    hash: `${(++n).toString(16).padStart(7, '0')}${'0'.repeat(33)}`,
    parents: Array.from({ length: parents }, (_, i) => `p${i}`),
    authorName: author,
    authorEmail: `${author.toLowerCase()}@example.com`,
    time: 1_764_150_000,
    message,
    files: [],
    invalidUtf8: false,
  });

describe('grouping commits into sections', () => {
  it('puts breaking changes first, then the configured sections, oldest entry first; hides chores and merges but counts them', () => {
    const commits = [
      commit('Merge branch x', 'Bob', 2),
      commit('chore: bump deps'),
      commit('fix(cart): rounding (#12)', 'Bob'),
      commit('feat!: new API\n\nBREAKING CHANGE: v1 is gone'),
      commit('feat(ui): dark mode\n\nCo-authored-by: Cy <c@x>'),
      commit('Tidy up things'),
    ].reverse(); // newest first, as git lists them
    const g = groupCommits(commits, config);
    expect(g.sections.map((s) => [s.type, s.title, s.entries.map((e) => e.subject)])).toEqual([
      ['breaking', 'Breaking changes', ['new API']],
      ['feat', 'Features', ['dark mode']],
      ['fix', 'Bug fixes', ['rounding']],
      ['other', 'Other changes', ['Tidy up things']],
    ]);
    expect(g.hidden).toEqual({ merge: 1, chore: 1 });
    expect(g.contributors).toEqual(['Ada', 'Bob', 'Cy']);
    expect(g.sections[0]?.entries[0]).toMatchObject({ breaking: true, note: 'v1 is gone' });
    expect(g.sections[2]?.entries[0]).toMatchObject({ scope: 'cart', pr: 12, authors: ['Bob'] });
  });

  it('follows configured sections: their order, titles, hidden flags; unlisted types count as other', () => {
    const custom = resolveVersioningConfig({
      notes: {
        sections: [
          { title: 'Fixed', types: ['fix'] },
          { title: 'New', types: ['feat'] },
          { title: 'Misc', types: ['other'], hidden: true },
        ],
      },
    });
    const g = groupCommits([commit('feat: a'), commit('fix: b'), commit('docs: c'), commit('plain')], custom);
    expect(g.sections.map((s) => s.title)).toEqual(['Fixed', 'New']);
    expect(g.hidden).toEqual({ other: 2 });
  });

  it('counts hidden commits of any type, even one named like a property every object has', () => {
    const custom = resolveVersioningConfig({ notes: { sections: [{ title: 'Internals', types: ['constructor'], hidden: true }] } });
    expect(groupCommits([commit('constructor: x'), commit('constructor: y')], custom).hidden).toEqual({ constructor: 2 });
  });
});

describe('markdown', () => {
  const notes = (over: Partial<ReleaseNotes> = {}): ReleaseNotes => ({
    from: 'v1.2.0',
    to: 'HEAD',
    version: '1.3.0',
    tag: 'v1.3.0',
    date: '2026-11-26',
    ...groupCommits([commit('fix: b (#7)\n\nCloses #3'), commit('feat(api): a')], config),
    ...over,
  });

  it('renders a heading with a compare link, entries with scope, PR, commit and issue links, and contributors', () => {
    const md = renderNotes(notes(), config, linksFor('https://github.com/acme/shop'), true);
    expect(md).toMatch(
      /^## \[1\.3\.0\]\(https:\/\/github\.com\/acme\/shop\/compare\/v1\.2\.0\.\.\.v1\.3\.0\) \(2026-11-26\)\n\n### Features\n\n- \*\*api:\*\* a \(\[[0-9a-f]{7}\]\(https:\/\/github\.com\/acme\/shop\/commit\/[0-9a-f]{40}\)\)\n/,
    );
    expect(md).toContain('- b ([#7](https://github.com/acme/shop/pull/7)) ([');
    expect(md).toContain(', closes [#3](https://github.com/acme/shop/issues/3)\n');
    expect(md.endsWith('### Contributors\n\nAda\n')).toBe(true);
  });

  it('renders without links when the remote is unknown, and says so when nothing is notable', () => {
    const md = renderNotes(notes({ sections: [], hidden: { chore: 2 }, contributors: [] }), config, null, false);
    expect(md).toBe('No notable changes (not shown: 2 chore).\n');
    expect(renderNotes(notes(), config, null, true)).toContain('- b (#7) (');
  });

  it('uses the configured entry template', () => {
    const custom = resolveVersioningConfig({ notes: { entry: '{subject} by {authors} [{short}]' } });
    expect(renderNotes(notes(), custom, null, false)).toMatch(/^### Features\n\n- a by Ada \[[0-9a-f]{7}\]\n/);
    expect(versioningConfigProblems({ notes: { entry: '{subject} {nope}' } })[0]?.message).toMatch(/unknown placeholder \{nope\}/);
  });
});

describe('repository links', () => {
  it('turns remotes into web addresses and drops credentials', () => {
    expect(webUrlOf('git@github.com:acme/shop.git')).toBe('https://github.com/acme/shop');
    expect(webUrlOf('https://x-access-token:secret@github.com/acme/shop.git')).toBe('https://github.com/acme/shop');
    expect(webUrlOf('ssh://git@gitlab.example.com:2222/group/sub/shop.git')).toBe('https://gitlab.example.com/group/sub/shop');
    expect(webUrlOf('/srv/git/shop.git')).toBeNull();
    expect(webUrlOf('file:///srv/git/shop.git')).toBeNull();
    expect(linksFor('https://gitlab.example.com/g/shop')?.pr(4)).toBe('https://gitlab.example.com/g/shop/-/merge_requests/4');
  });
});

describe('tag formats', () => {
  it('reads versions of its own tags only, and names new ones', () => {
    const web = compileTagFormat('{name}@{version}', 'web');
    expect(web.versionOf('web@1.2.3')).toBe('1.2.3');
    expect(web.versionOf('web@1.2.3-rc.1')).toBe('1.2.3-rc.1');
    expect(web.versionOf('webshop@1.2.3')).toBeNull();
    expect(web.versionOf('web@1.2')).toBeNull();
    expect(web.tagOf('2.0.0')).toBe('web@2.0.0');
    expect(web.refPattern).toBe('refs/tags/web@*');
    expect(compileTagFormat('{name}-v{version}', 'api').versionOf('api-v0.3.0')).toBe('0.3.0');
  });

  it('refuses malformed formats and {name} without a name', () => {
    expect(() => compileTagFormat('v{ver}', null)).toThrow("tag format 'v{ver}' unknown placeholder {ver}");
    expect(() => compileTagFormat('{name}@{version}', null)).toThrow(/uses \{name\}/);
  });

  it('round-trips every version through its tag', () => {
    const f = compileTagFormat('v{version}', null);
    fc.assert(
      fc.property(
        fc.nat(50),
        fc.nat(50),
        fc.nat(50),
        fc.option(fc.constantFrom('rc.0', 'beta.3', 'alpha'), { nil: null }),
        (a, b, c, pre) => {
          const v = `${a}.${b}.${c}${pre ? `-${pre}` : ''}`;
          expect(f.versionOf(f.tagOf(v))).toBe(v);
        },
      ),
    );
  });
});

describe('CHANGELOG.md', () => {
  const section = (v: string, body = '- x') => ({ version: v, markdown: `## ${v} (2026-11-26)\n\n### Features\n\n${body}\n` });

  it('creates the file with a header, and finds versions in headings other tools write', () => {
    expect(prependSection(null, section('1.0.0'), null, () => false)).toMatch(
      /^# Changelog\n\nAll notable changes.*\n\n## 1\.0\.0 \(2026-11-26\)\n/,
    );
    expect(versionInHeading('## [1.3.0](https://x/compare/a...b) (2026-11-26)')).toBe('1.3.0');
    expect(versionInHeading('# [2.0.0] - 2026-01-01')).toBe('2.0.0');
    expect(versionInHeading('## web@1.3.0-rc.1')).toBe('1.3.0-rc.1');
    expect(versionInHeading('## Unreleased')).toBeNull();
  });

  it('is idempotent: prepending the same section twice leaves one', () => {
    const once = prependSection(
      '# Changelog\n\nIntro.\n\n## 1.2.0 (2026-01-01)\n\n- old\n',
      section('1.3.0'),
      '1.2.0',
      (v) => v === '1.2.0',
    );
    const twice = prependSection(once, section('1.3.0'), '1.2.0', (v) => v === '1.2.0');
    expect(twice).toBe(once);
    expect(splitChangelog(once).sections.map((s) => s.version)).toEqual(['1.3.0', '1.2.0']);
    expect(once.startsWith('# Changelog\n\nIntro.\n\n## 1.3.0')).toBe(true);
  });

  it('replaces an untagged preview section when the next version changes', () => {
    const preview = prependSection('## 1.2.0 (x)\n\n- old\n', section('1.3.0'), '1.2.0', (v) => v === '1.2.0');
    const moved = prependSection(preview, section('2.0.0', '- breaking'), '1.2.0', (v) => v === '1.2.0');
    expect(splitChangelog(moved).sections.map((s) => s.version)).toEqual(['2.0.0', '1.2.0']);
  });

  it('regenerates the whole file keeping the text above the first release', () => {
    const text = wholeChangelog('# My log\n\nHand-written intro.\n\n## 0.1.0\n\n- stale\n', [
      section('1.1.0').markdown,
      section('1.0.0').markdown,
    ]);
    expect(text).toBe(`# My log\n\nHand-written intro.\n\n${section('1.1.0').markdown}\n${section('1.0.0').markdown}`);
  });
});

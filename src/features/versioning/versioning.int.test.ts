import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GitRepo } from '../../../test/support/git-repo.js';
import { fullChangelog } from './changelog-service.js';
import { computeAllVersions } from './monorepo-service.js';
import type { Subject } from './release-range-loader.js';
import { compileTagFormat } from './tag-format.js';
import { resolveVersioningConfig } from './versioning-config.js';
import { computeNotes, computeVersion } from './versioning-service.js';

const config = resolveVersioningConfig(undefined);
const repos: GitRepo[] = [];
const newRepo = () => {
  const r = GitRepo.create();
  repos.push(r);
  return r;
};
afterEach(() => {
  for (const r of repos.splice(0)) r.remove();
});

const subject = (repo: GitRepo, over: Partial<Subject> = {}): Subject => ({
  dir: repo.dir,
  to: 'HEAD',
  path: null,
  format: compileTagFormat('v{version}', null),
  pre: null,
  ...over,
});
const titles = (notes: { sections: { title: string; entries: { subject: string }[] }[] }) =>
  Object.fromEntries(notes.sections.map((s) => [s.title, s.entries.map((e) => e.subject)]));

describe('version from a real repository', () => {
  it('without tags: the first release, counting every commit', async () => {
    const repo = newRepo();
    repo.commit('feat: first');
    repo.commit('Initial import of things');
    expect(await computeVersion(subject(repo), config)).toMatchObject({
      current: null,
      next: '1.0.0',
      bump: 'initial',
      reason: 'first release: 1 feat, 1 other',
      commits: 2,
      tag: 'v1.0.0',
      from: null,
    });
  });

  it('after a tag: feat → minor with the reason; the tag at the revision itself does not count', async () => {
    const repo = newRepo();
    repo.commit('feat: a');
    repo.tag('v1.2.3');
    repo.commit('feat(ui): b');
    repo.commit('fix: c');
    repo.commit('fix: d');
    expect(await computeVersion(subject(repo), config)).toMatchObject({
      current: '1.2.3',
      next: '1.3.0',
      bump: 'minor',
      reason: '1 feat, 2 fix',
      commits: 3,
      from: 'v1.2.3',
    });
    repo.tag('v1.3.0', false);
    expect(await computeVersion(subject(repo), config)).toMatchObject({ current: '1.2.3', next: '1.3.0', from: 'v1.2.3' });
  });

  it('picks the highest matching tag by semver and ignores tags of other formats', async () => {
    const repo = newRepo();
    repo.commit('feat: a');
    repo.tag('v1.10.0');
    repo.tag('v1.9.0');
    repo.tag('release-candidate');
    repo.tag('v2-beta');
    repo.commit('fix: b');
    expect(await computeVersion(subject(repo), config)).toMatchObject({ current: '1.10.0', next: '1.10.1' });
  });

  it('a BREAKING CHANGE footer bumps major; in 0.x it bumps minor', async () => {
    const repo = newRepo();
    repo.commit('feat: a');
    repo.tag('v0.3.0');
    repo.commit('feat: new config\n\nBREAKING CHANGE: port moved');
    expect(await computeVersion(subject(repo), config)).toMatchObject({ next: '0.4.0', bump: 'minor', reason: '1 breaking' });
    repo.tag('v1.0.0');
    repo.commit('refactor: x\n\nBREAKING-CHANGE: y');
    expect(await computeVersion(subject(repo), config)).toMatchObject({ next: '2.0.0', bump: 'major' });
  });

  it('counts the commits of merged branches once and leaves merge commits out', async () => {
    const repo = newRepo();
    repo.commit('chore: init');
    repo.tag('v1.0.0');
    repo.branch('feature');
    repo.commit('feat(cart): coupons');
    repo.commit('fix(cart): coupon rounding');
    repo.checkout('main');
    repo.commit('fix: typo');
    repo.merge('feature', 'Merge pull request #42 from acme/feature');
    const v = await computeVersion(subject(repo), config);
    expect(v).toMatchObject({ next: '1.1.0', reason: '1 feat, 2 fix', commits: 3 });
    const { notes } = await computeNotes(subject(repo), config);
    expect(titles(notes)).toEqual({ Features: ['coupons'], 'Bug fixes': ['coupon rounding', 'typo'] });
    expect(notes.hidden).toEqual({ merge: 1 });
  });

  it('a change reverted inside the range cancels out; a revert of an earlier release is listed', async () => {
    const repo = newRepo();
    const old = repo.commit('feat: old thing');
    repo.tag('v1.0.0');
    const a = repo.commit('feat: shiny');
    repo.commit('fix: other');
    repo.revert(a);
    repo.revert(old);
    const v = await computeVersion(subject(repo), config);
    expect(v).toMatchObject({ next: '1.0.1', bump: 'patch', reason: '1 fix, 1 revert' });
    const { notes } = await computeNotes(subject(repo), config);
    expect(titles(notes)).toEqual({ 'Bug fixes': ['other'], Reverts: ['feat: old thing'] });
  });

  it('prereleases: rc.0 → rc.1, notes since the previous rc; the stable release covers everything since the last stable', async () => {
    const repo = newRepo();
    repo.commit('feat: base');
    repo.tag('v1.2.0');
    repo.commit('feat: a');
    expect((await computeVersion(subject(repo, { pre: 'rc' }), config)).next).toBe('1.3.0-rc.0');
    repo.tag('v1.3.0-rc.0');
    repo.commit('fix: b');
    expect(await computeVersion(subject(repo, { pre: 'rc' }), config)).toMatchObject({ current: '1.3.0-rc.0', next: '1.3.0-rc.1' });
    const rc = await computeNotes(subject(repo, { pre: 'rc' }), config);
    expect(rc.notes).toMatchObject({ from: 'v1.3.0-rc.0', version: '1.3.0-rc.1' });
    expect(titles(rc.notes)).toEqual({ 'Bug fixes': ['b'] });
    const stable = await computeNotes(subject(repo), config);
    expect(stable.notes).toMatchObject({ from: 'v1.2.0', version: '1.3.0' });
    expect(titles(stable.notes)).toEqual({ Features: ['a'], 'Bug fixes': ['b'] });
  });

  it('notes for a tagged revision use its tag, and --from starts anywhere', async () => {
    const repo = newRepo();
    repo.commit('feat: one');
    repo.tag('v1.0.0');
    repo.commit('feat: two');
    repo.tag('v1.1.0');
    repo.commit('fix: three');
    const at = await computeNotes(subject(repo, { to: 'v1.1.0' }), config);
    expect(at.notes).toMatchObject({ from: 'v1.0.0', to: 'v1.1.0', version: '1.1.0', tag: 'v1.1.0', date: '2026-01-05' });
    expect(titles(at.notes)).toEqual({ Features: ['two'] });
    const since = await computeNotes(subject(repo), config, { from: 'v1.0.0' });
    expect(titles(since.notes)).toEqual({ Features: ['two'], 'Bug fixes': ['three'] });
  });

  it('links PRs, issues and commits from the origin remote', async () => {
    const repo = newRepo();
    repo.git('remote', 'add', 'origin', 'git@github.com:acme/shop.git');
    repo.commit('feat: a (#5)\n\nCloses #9');
    const r = await computeNotes(subject(repo), config);
    expect(r.markdown(false)).toContain('- a ([#5](https://github.com/acme/shop/pull/5)) ([');
    expect(r.markdown(false)).toContain('closes [#9](https://github.com/acme/shop/issues/9)');
  });
});

describe('monorepos', () => {
  const build = () => {
    const repo = newRepo();
    repo.commit('feat(web): start', { 'packages/web/a.ts': '1' });
    repo.commit('feat(api): start', { 'packages/api/a.ts': '1' });
    repo.tag('web@1.0.0');
    repo.tag('api@0.1.0');
    repo.commit('fix(web): bug', { 'packages/web/a.ts': '2' });
    repo.commit('feat(api): endpoint', { 'packages/api/b.ts': '1' });
    repo.tag('api@0.2.0');
    repo.commit('feat(api)!: drop v1', { 'packages/api/c.ts': '1' });
    repo.commit('docs: readme', { 'README.md': 'x' });
    return repo;
  };

  it('--path counts only commits that touch the folder, with per-product tag formats', async () => {
    const repo = build();
    const web = await computeVersion(subject(repo, { path: 'packages/web', format: compileTagFormat('{name}@{version}', 'web') }), config);
    expect(web).toMatchObject({ current: '1.0.0', next: '1.0.1', reason: '1 fix', tag: 'web@1.0.1' });
    const api = await computeVersion(subject(repo, { path: 'packages/api', format: compileTagFormat('{name}@{version}', 'api') }), config);
    expect(api).toMatchObject({ current: '0.2.0', next: '0.3.0', reason: '1 breaking' });
  });

  it('--all computes every product in one walk and agrees with one product at a time', async () => {
    const repo = build();
    const products = [
      { key: 'web', path: 'packages/web', format: compileTagFormat('{name}@{version}', 'web') },
      { key: 'api', path: 'packages/api', format: compileTagFormat('{name}@{version}', 'api') },
      { key: 'site', path: null, format: compileTagFormat('{name}-v{version}', 'site') },
    ];
    const { items } = await computeAllVersions(repo.dir, 'HEAD', products, null, config);
    for (const p of products) {
      const one = await computeVersion(subject(repo, { path: p.path, format: p.format }), config);
      const { warnings: _w, ...expected } = one;
      expect(items.find((i) => i.product === p.key)).toEqual({ product: p.key, path: p.path, ...expected });
    }
    expect(items.map((i) => [i.product, i.next])).toEqual([
      ['web', '1.0.1'],
      ['api', '0.3.0'],
      ['site', '1.0.0'],
    ]);
  });
});

describe('full changelog in one pass', () => {
  it('assigns every commit to the first release that contains it, merges included, newest release first', async () => {
    const repo = newRepo();
    repo.commit('feat: one');
    repo.tag('v1.0.0');
    repo.branch('long');
    repo.commit('feat: started before 1.1, merged after');
    repo.checkout('main');
    repo.commit('fix: two');
    repo.tag('v1.1.0');
    // Merge main into the branch, then fast-forward main to it: the branch's commits are on main's first-parent line.
    repo.checkout('long');
    repo.merge('main');
    repo.checkout('main');
    repo.git('merge', '-q', '--ff-only', 'long');
    repo.tag('v1.2.0');
    repo.commit('perf: three');
    const log = await fullChangelog(subject(repo), config, { repoUrl: 'https://github.com/acme/shop' });
    // `### Title` then `- subject ([hash](link))` lines, read back from each release's Markdown.
    const sections = (md: string) =>
      Object.fromEntries(
        md
          .split('\n### ')
          .slice(1)
          .filter((block) => !block.startsWith('Contributors'))
          .map((block) => [block.split('\n')[0], [...block.matchAll(/^- (.*?) \(\[/gm)].map((m) => m[1])]),
      );
    expect(log.releases.map((r) => [r.version, r.tagged, sections(r.markdown)])).toEqual([
      ['1.2.1', false, { Performance: ['three'] }],
      ['1.2.0', true, { Features: ['started before 1.1, merged after'] }],
      ['1.1.0', true, { 'Bug fixes': ['two'] }],
      ['1.0.0', true, { Features: ['one'] }],
    ]);
    expect(log.releases[1]?.markdown).toMatch(
      /^## \[1\.2\.0\]\(https:\/\/github\.com\/acme\/shop\/compare\/v1\.1\.0\.\.\.v1\.2\.0\) \(2026-01-05\)/,
    );
  });
});

describe('full changelog on a history whose commit dates go against it', () => {
  it('notices that the date-ordered walk listed a parent before a child, and walks again in topological order', async () => {
    const repo = newRepo();
    const at = (iso: string) => ({ GIT_AUTHOR_DATE: iso, GIT_COMMITTER_DATE: iso });
    const commit = (iso: string, message: string) => repo.gitWith(at(iso), 'commit', '-q', '--allow-empty', '-m', message);
    repo.commit('feat: base');
    repo.tag('v1.0.0');
    // P is dated after both releases' other work; K2, its child on main, was committed on a clock years behind.
    commit('2030-01-01T00:00:00Z', 'feat: parent');
    repo.branch('side');
    commit('2031-01-01T00:00:00Z', 'fix: on the side');
    repo.checkout('main');
    commit('2027-01-01T00:00:00Z', 'fix: skewed clock');
    repo.tag('v1.1.0');
    repo.gitWith(at('2032-01-01T00:00:00Z'), 'merge', '-q', '--no-ff', '-m', "Merge branch 'side'", 'side');
    // git's date order lists P (2030) before K2 (2027): P must still count in 1.1.0, which K2's tag reaches.
    const order = repo.git('log', '--format=%s').split('\n');
    expect(order.indexOf('feat: parent')).toBeLessThan(order.indexOf('fix: skewed clock'));
    const log = await fullChangelog(subject(repo), config);
    const entries = (md: string) => [...md.matchAll(/^- (.*?) \(/gm)].map((m) => m[1]);
    expect(log.releases.map((r) => [r.version, entries(r.markdown)])).toEqual([
      ['1.1.1', ['on the side']],
      ['1.1.0', ['parent', 'skewed clock']],
      ['1.0.0', ['base']],
    ]);
  });
});

describe('bad input', () => {
  it('says clearly when the folder is not a git repository, or does not exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'railyard-nogit-'));
    try {
      await expect(computeVersion({ ...subject({ dir } as GitRepo) }, config)).rejects.toThrow(`${dir} is not in a git repository`);
      await expect(computeVersion({ ...subject({ dir: join(dir, 'nope') } as GitRepo) }, config)).rejects.toThrow('no such folder');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names unknown revisions and tags, and an empty repository', async () => {
    const repo = newRepo();
    await expect(computeVersion(subject(repo), config)).rejects.toThrow('has no commits yet');
    repo.commit('feat: a');
    repo.tag('v1.0.0');
    repo.commit('fix: b');
    await expect(computeVersion(subject(repo, { to: 'v9.9.9' }), config)).rejects.toThrow("unknown revision 'v9.9.9'");
    await expect(computeNotes(subject(repo), config, { from: 'v0.9.0' })).rejects.toThrow("unknown tag 'v0.9.0'. Latest tags: v1.0.0.");
    // The full changelog starts its walk while it looks the revision up: the same message.
    await expect(fullChangelog(subject(repo, { to: 'v9.9.9' }), config)).rejects.toThrow("unknown revision 'v9.9.9'");
  });

  it('an empty range is an error for notes, and nothing to do for version', async () => {
    const repo = newRepo();
    repo.commit('feat: a');
    repo.tag('v1.0.0');
    repo.commit('fix: b', { 'src/x': '1' });
    await expect(computeNotes(subject(repo, { path: 'docs' }), config)).rejects.toThrow(
      'no commits that touch docs between v1.0.0 and HEAD',
    );
    await expect(computeNotes(subject(repo), config, { from: 'HEAD' })).rejects.toThrow('no commits between HEAD and HEAD');
    expect(await computeVersion(subject(repo, { path: 'docs' }), config)).toMatchObject({
      next: '1.0.0',
      bump: 'none',
      reason: 'no commits',
    });
  });

  it('a shallow clone without the base tag says how to fetch it', async () => {
    const repo = newRepo();
    repo.commit('feat: a');
    repo.tag('v1.0.0');
    repo.commit('fix: b');
    repo.commit('fix: c');
    const clone = mkdtempSync(join(tmpdir(), 'railyard-shallow-'));
    try {
      const r = spawnSync('git', ['clone', '-q', '--depth', '1', `file://${repo.dir}`, clone], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      const s = { ...subject(repo), dir: clone };
      await expect(computeVersion(s, config)).rejects.toThrow(/shallow clone.*git fetch --unshallow --tags/);
      await expect(computeNotes(s, config, { from: 'v1.0.0' })).rejects.toThrow(/unknown tag 'v1.0.0'. This is a shallow clone: fetch/);
      await expect(fullChangelog(s, config)).rejects.toThrow(/whole history, and this is a shallow clone/);
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });

  it('reads messages that are not UTF-8 with a warning, and 10,000-line bodies', async () => {
    const repo = newRepo();
    const latin1 = Buffer.concat([Buffer.from('fix: caf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]);
    repo.commitRaw(latin1);
    repo.commitRaw(Buffer.from('perf: cr\xe8me br\xfbl\xe9e\n', 'latin1'), 'ISO-8859-1');
    const body = Array.from({ length: 10_000 }, (_, i) => `line ${i}`).join('\n');
    repo.commit(`feat: huge\n\n${body}\n\nBREAKING CHANGE: big`);
    const r = await computeNotes(subject(repo), config);
    // A message that declares its encoding is re-encoded by git; one that does not keeps U+FFFD for the bad bytes.
    expect(titles(r.notes)).toEqual({ 'Breaking changes': ['huge'], 'Bug fixes': ['caf\uFFFD au lait'], Performance: ['crème brûlée'] });
    expect(r.warnings[0]).toMatch(/^1 commit message is not valid UTF-8 \([0-9a-f]{7}\)/);
  });
});

describe('streaming git log', () => {
  it('hands over nothing after the reader says stop, even in the middle of a chunk', async () => {
    const repo = newRepo();
    for (let i = 0; i < 300; i++) repo.git('commit', '-q', '--allow-empty', '-m', `chore: ${i}\n\n${'padding '.repeat(40)}`);
    const { streamLog } = await import('./git-loader.js');
    let seen = 0;
    const started = performance.now();
    await streamLog(repo.dir, ['--end-of-options', 'HEAD'], () => (++seen === 3 ? false : undefined));
    expect(seen).toBe(3);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('keeps what a log started early printed before its reader came, even after git exited', async () => {
    const repo = newRepo();
    for (let i = 0; i < 5; i++) repo.commit(`fix: ${i}`);
    const { startLog } = await import('./git-loader.js');
    const log = startLog(repo.dir, ['--end-of-options', 'HEAD']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen: string[] = [];
    await log.read((c) => {
      seen.push(c.message.trim());
      return undefined;
    });
    expect(seen).toEqual(['fix: 4', 'fix: 3', 'fix: 2', 'fix: 1', 'fix: 0']);
  });
});

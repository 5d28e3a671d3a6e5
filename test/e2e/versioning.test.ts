import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, railyard, startServer } from '../support/cli.js';
import { GitRepo } from '../support/git-repo.js';

/** The versioning commands as a user runs them: the built CLI in a real repository, no database needed. */
describe('railyard version, notes and changelog on a git repository', () => {
  let repo: GitRepo;
  const run = (...args: string[]) => railyard(args, { cwd: repo.dir });

  beforeAll(() => {
    repo = GitRepo.create('railyard-e2e-ver-');
    repo.git('remote', 'add', 'origin', 'git@github.com:acme/shop.git');
    repo.commit('feat: catalogue');
    repo.tag('v1.2.3');
    repo.commit('feat(cart): coupons (#12)', undefined, { name: 'Bob Stone', email: 'bob@example.com' });
    repo.commit('fix: rounding\n\nCloses #7');
    repo.commit('chore: tidy');
  });
  afterAll(() => repo.remove());

  it('version prints the next version and why; --json has the documented fields', () => {
    expect(run('version')).toEqual({ code: 0, stdout: '1.3.0 (minor bump since v1.2.3: 1 feat, 1 fix, 1 chore; 3 commits)\n', stderr: '' });
    expect(JSON.parse(run('version', '--json').stdout)).toEqual({
      current: '1.2.3',
      next: '1.3.0',
      bump: 'minor',
      reason: '1 feat, 1 fix, 1 chore',
      commits: 3,
      tag: 'v1.3.0',
      from: 'v1.2.3',
      to: 'HEAD',
    });
    expect(JSON.parse(run('version', '--json', '--pre', 'rc').stdout).next).toBe('1.3.0-rc.0');
  });

  it('notes prints Markdown with links from the remote, or JSON', () => {
    const md = run('notes');
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(
      /^## \[1\.3\.0\]\(https:\/\/github\.com\/acme\/shop\/compare\/v1\.2\.3\.\.\.v1\.3\.0\) \(\d{4}-\d\d-\d\d\)\n/,
    );
    expect(md.stdout).toContain('### Features\n\n- **cart:** coupons ([#12](https://github.com/acme/shop/pull/12)) ([');
    expect(md.stdout).toContain('closes [#7](https://github.com/acme/shop/issues/7)');
    expect(md.stdout).toContain('### Contributors\n\nAda Lovelace, Bob Stone\n');
    const json = JSON.parse(run('notes', '--format', 'json').stdout);
    expect(json).toMatchObject({ from: 'v1.2.3', to: 'HEAD', version: '1.3.0', hidden: { chore: 1 } });
    expect(json.sections[0].entries[0]).toEqual({
      hash: expect.stringMatching(/^[0-9a-f]{40}$/),
      type: 'feat',
      scope: 'cart',
      subject: 'coupons',
      breaking: false,
      pr: 12,
      issues: [],
      authors: ['Bob Stone'],
      note: null,
    });
    expect(run('notes', '--repo-url', 'https://gitlab.example.com/g/shop').stdout).toContain(
      '(https://gitlab.example.com/g/shop/-/merge_requests/12)',
    );
  });

  it('changelog writes CHANGELOG.md once: a second run changes nothing; --all regenerates it', () => {
    expect(run('changelog').stdout).toBe('created CHANGELOG.md: section 1.3.0 (3 commits since v1.2.3)\n');
    const first = readFileSync(join(repo.dir, 'CHANGELOG.md'), 'utf8');
    expect(JSON.parse(run('changelog', '--json').stdout)).toEqual({
      file: 'CHANGELOG.md',
      action: 'unchanged',
      version: '1.3.0',
      releases: 1,
    });
    expect(readFileSync(join(repo.dir, 'CHANGELOG.md'), 'utf8')).toBe(first);
    const all = run('changelog', '--all', '--stdout');
    expect(all.stdout.match(/^## /gm)).toHaveLength(2);
    expect(all.stdout).toContain('## 1.2.3 (');
    expect(run('changelog', '--all')).toMatchObject({ code: 0, stdout: 'updated CHANGELOG.md: 2 releases\n' });
  });

  it('bad input: clear messages and exit codes, never a stack trace', () => {
    const outside = mkdtempSync(join(tmpdir(), 'railyard-e2e-nogit-'));
    try {
      const notRepo = railyard(['version'], { cwd: outside });
      expect(notRepo).toMatchObject({
        code: 1,
        stderr: 'error: . is not in a git repository: run railyard in a git checkout or pass --repo DIR\n',
      });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
    // Rules of the versioning section that its schema cannot express, reported at their line like any other.
    const config = join(repo.dir, 'bad-versioning.yaml');
    writeFileSync(config, 'versioning:\n  notes:\n    entry: "{subject} {sha}"\n');
    expect(run('version', '--config', config)).toMatchObject({
      code: 1,
      stderr: `error: ${config} has 1 problem\n  ${config}:3:12 versioning.notes.entry: unknown placeholder {sha} (use {scope}, {subject}, {pr}, {commit}, {issues}, {hash}, {short}, {type}, {authors})\n`,
    });
    const badFormat = run('version', '--tag-format', 'v{ver}');
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain("argument 'v{ver}' is invalid. unknown placeholder {ver} (use {version} and {name})");
    expect(run('notes', '--from', 'v0.0.1')).toMatchObject({ code: 1, stderr: "error: unknown tag 'v0.0.1'. Latest tags: v1.2.3.\n" });
    expect(run('notes', '--from', 'HEAD')).toMatchObject({
      code: 1,
      stderr: 'error: no commits between HEAD and HEAD: nothing to write notes about\n',
    });
    expect(run('version', '--pre', '1').code).toBe(2);
    const json = run('version', '--to', 'nope', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr).error).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining("unknown revision 'nope'"),
    });
  });
});

describe('railyard version --all on a monorepo', () => {
  let repo: GitRepo;
  beforeAll(() => {
    repo = GitRepo.create('railyard-e2e-mono-');
    repo.write(
      'railyard.yaml',
      [
        'products:',
        '  - { key: web, path: apps/web, tagFormat: "{name}@{version}" }',
        '  - { key: api, path: apps/api, tagFormat: "{name}-v{version}" }',
        '',
      ].join('\n'),
    );
    repo.commit('chore: config');
    repo.commit('feat(web): a', { 'apps/web/a': '1' });
    repo.commit('feat(api): a', { 'apps/api/a': '1' });
    repo.tag('web@1.0.0');
    repo.tag('api-v0.4.0');
    repo.commit('fix(web): b', { 'apps/web/a': '2' });
    repo.commit('feat(api)!: c', { 'apps/api/a': '2' });
  });
  afterAll(() => repo.remove());

  it('computes every declared product in one pass', () => {
    const r = railyard(['version', '--all', '--json'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(
      JSON.parse(r.stdout).map((p: { product: string; current: string; next: string; tag: string }) => [
        p.product,
        p.current,
        p.next,
        p.tag,
      ]),
    ).toEqual([
      ['web', '1.0.0', '1.0.1', 'web@1.0.1'],
      ['api', '0.4.0', '0.5.0', 'api-v0.5.0'],
    ]);
    expect(railyard(['version', '--product', 'api'], { cwd: repo.dir }).stdout).toBe(
      '0.5.0 (minor bump since api-v0.4.0: 1 breaking; 1 commit)\n',
    );
    expect(railyard(['version', '--all'], { cwd: repo.dir }).stdout).toMatch(/web +│? *1\.0\.0 +│? *1\.0\.1 +│? *patch/);
  });
});

describe('railyard release cut', () => {
  let repo: GitRepo;
  let work: string;
  let server: RunningServer | undefined;
  const run = (...args: string[]) => railyard(args, { cwd: work });

  beforeAll(() => {
    repo = GitRepo.create('railyard-e2e-cut-');
    repo.commit('feat: first');
    repo.tag('v0.9.0');
    repo.commit('feat(api): search (#3)');
    repo.commit('fix: crash\n\nBREAKING CHANGE: config key renamed');
    work = mkdtempSync(join(tmpdir(), 'railyard-e2e-cutdb-'));
    writeFileSync(join(work, 'railyard.yaml'), `products:\n  - key: shop\n    repo: ${JSON.stringify(repo.dir)}\n`);
    expect(run('apply', '-f', 'railyard.yaml').code).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
    repo.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it('creates the release with version, scope and notes in the local database, audited, and tags the commit', () => {
    const r = run('release', 'cut', 'shop', '--repo', repo.dir, '--tag', '--as', 'carol', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      release: { ref: 'shop@0.10.0', status: 'planned', author: 'carol' },
      changes: 2,
      tag: 'v0.10.0',
      tagged: true,
    });
    expect(out.version).toMatchObject({ current: '0.9.0', next: '0.10.0', bump: 'minor', reason: '1 breaking, 1 feat' });
    const shown = JSON.parse(run('releases', 'show', 'shop@0.10.0', '--json').stdout);
    expect(
      shown.changes.map((c: { kind: string; type: string; ref: string; breaking: boolean }) => [c.kind, c.type, c.ref, c.breaking]),
    ).toEqual([
      ['pull_request', 'feat', '#3', false],
      ['commit', 'fix', expect.stringMatching(/^[0-9a-f]{40}$/), true],
    ]);
    expect(shown.notes).toMatch(/^### Breaking changes\n\n- crash \([0-9a-f]{7}\)\n\n {2}config key renamed\n/);
    const audit = JSON.parse(run('audit', 'list', '--json', '--limit', '2').stdout);
    expect(audit.items.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual([
      ['release.scope_changed', 'carol'],
      ['release.created', 'carol'],
    ]);
    expect(repo.git('for-each-ref', '--format=%(objecttype) %(contents:subject)', 'refs/tags/v0.10.0')).toBe('tag shop 0.10.0');
    // Now HEAD is released: nothing new to cut.
    const again = run('release', 'cut', 'shop', '--repo', repo.dir);
    expect(again).toMatchObject({ code: 1 });
    expect(again.stderr).toMatch(/^error: release shop@0\.10\.0 already exists\n$/);
  });

  it('does the same against a server with --server', async () => {
    server = await startServer(['--db', join(work, 'railyard.db')], work);
    repo.commit('fix: after release');
    const r = run('--server', server.url, 'release', 'cut', 'shop', '--repo', repo.dir);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: 'created shop@0.10.1 (planned): 1 change, patch bump: 1 fix\n' });
    expect(JSON.parse(run('--server', server.url, 'releases', 'show', 'shop@0.10.1', '--json').stdout).changes).toHaveLength(1);
    expect(existsSync(join(work, 'railyard.db'))).toBe(true);
    const nothing = run('--server', server.url, 'release', 'cut', 'nope', '--repo', repo.dir);
    expect(nothing).toMatchObject({ code: 1, stderr: "error: product 'nope' not found\n" });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { GitRepo } from '../../../test/support/git-repo.js';
import type { App } from '../../platform/http/app.js';
import { buildServer } from '../../platform/http/server.js';

describe.each(DIALECTS)('POST /api/v1/products/{key}/releases:preview (%s)', (dialect) => {
  let t: TestDb;
  let app: App;
  let repo: GitRepo;

  beforeAll(async () => {
    repo = GitRepo.create();
    repo.git('remote', 'add', 'origin', 'https://github.com/acme/shop.git');
    repo.commit('feat(web): first', { 'apps/web/a.ts': '1' });
    repo.tag('web@1.0.0');
    repo.commit('feat(web): wishlist (#31)', { 'apps/web/b.ts': '1' });
    repo.commit('fix(api): unrelated', { 'apps/api/a.ts': '1' });
    repo.commit('fix(web): rounding\n\nCloses #8', { 'apps/web/a.ts': '2' });
    // The server reads the versioning section of railyard.yaml at the top of the product's repository.
    repo.commit('chore: config', { 'railyard.yaml': 'versioning:\n  notes:\n    contributors: false\n' });
    t = await openTestDb(dialect);
    const yaml = [
      'products:',
      `  - { key: web, repo: ${JSON.stringify(repo.dir)}, path: apps/web, tagFormat: "{name}@{version}" }`,
      '  - { key: remote, repo: "https://github.com/acme/remote.git" }',
      '  - { key: norepo }',
    ].join('\n');
    await t.services.config.apply(yaml, 'railyard.yaml', { dryRun: false }, 'admin');
    app = await buildServer(t.services, { webRoot: '/nonexistent' });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await t.close();
    repo.remove();
  });

  const preview = async (key: string, payload?: unknown) => {
    const res = await app.inject({ method: 'POST', url: `/api/v1/products/${key}/releases:preview`, payload: payload as object });
    return { status: res.statusCode, body: JSON.parse(res.body) };
  };

  it('returns version, notes and scope for HEAD, from the product folder and tag format, changing nothing', async () => {
    const { status, body } = await preview('web', {});
    expect(status).toBe(200);
    expect(body.version).toMatchObject({
      current: '1.0.0',
      next: '1.1.0',
      bump: 'minor',
      reason: '1 feat, 1 fix',
      tag: 'web@1.1.0',
      from: 'web@1.0.0',
    });
    expect(body.notes.sections.map((s: { title: string }) => s.title)).toEqual(['Features', 'Bug fixes']);
    expect(body.notes.contributors).toEqual([]);
    expect(body.markdown).toContain('- **web:** wishlist ([#31](https://github.com/acme/shop/pull/31))');
    expect(body.scope).toEqual([
      {
        kind: 'pull_request',
        type: 'feat',
        ref: '#31',
        title: 'web: wishlist',
        author: 'Ada Lovelace',
        link: 'https://github.com/acme/shop/pull/31',
        breaking: false,
      },
      {
        kind: 'commit',
        type: 'fix',
        ref: expect.stringMatching(/^[0-9a-f]{40}$/),
        title: 'web: rounding',
        author: 'Ada Lovelace',
        link: expect.stringMatching(/\/commit\/[0-9a-f]{40}$/),
        breaking: false,
      },
    ]);
    expect((await t.services.releases.list({ limit: 10 })).length).toBe(0);
    expect((await preview('web', { pre: 'rc' })).body.version.next).toBe('1.1.0-rc.0');
    const bare = await app.inject({ method: 'POST', url: '/api/v1/products/web/releases:preview' });
    expect([bare.statusCode, JSON.parse(bare.body).version?.next]).toEqual([200, '1.1.0']);
  });

  it('answers a remote URL, a missing repo, an unknown product and bad input with 4xx errors that say why', async () => {
    const remote = await preview('remote', {});
    expect(remote.status).toBe(400);
    expect(remote.body.error.message).toMatch(/remote URL: the server previews releases from a local clone only/);
    expect((await preview('norepo', {})).body.error.message).toMatch(/has no repo/);
    expect((await preview('nope', {})).status).toBe(404);
    const badRef = await preview('web', { to: 'v9' });
    expect(badRef.status).toBe(400);
    expect(badRef.body.error.message).toMatch(/unknown revision 'v9'/);
    expect((await preview('web', { pre: '1' })).body.error.code).toBe('validation_failed');
  });

  it('appears in the OpenAPI document with its literal colon', async () => {
    const doc = JSON.parse((await app.inject({ url: '/api/v1/openapi.json' })).body);
    expect(Object.keys(doc.paths)).toContain('/api/v1/products/{key}/releases:preview');
  });
});

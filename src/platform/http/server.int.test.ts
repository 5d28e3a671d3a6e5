import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { STARTER_CONFIG } from '../../features/config/starter.js';
import type { App } from './app.js';
import { buildServer, routeTable } from './server.js';

describe.each(DIALECTS)('HTTP API (%s)', (dialect) => {
  let t: TestDb;
  let app: App;

  beforeAll(async () => {
    t = await openTestDb(dialect);
    app = await buildServer(t.services, { webRoot: '/nonexistent' });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await t.close();
  });

  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method, url, payload: payload as string, headers });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  };

  it('every route declares a permission or is public (deny by default)', async () => {
    const table = routeTable(app);
    expect(table.length).toBeGreaterThan(15);
    for (const r of table)
      expect({ route: `${r.method} ${r.url}`, declared: Boolean(r.permission) || r.public }).toMatchObject({ declared: true });
    // Only health, the API description and the dashboard's static files are public.
    const open = table.filter((r) => r.public && r.method === 'GET' && r.url.startsWith('/api/')).map((r) => r.url);
    expect(open.sort()).toEqual(['/api/v1/config/schema', '/api/v1/openapi.json']);
    // A route without a declaration does not even register.
    expect(() => app.get('/api/v1/undeclared', async () => ({}))).toThrow();
  });

  it('applies config and creates, reads and moves a release over HTTP, recording the actor', async () => {
    const applied = await call('POST', '/api/v1/config/apply', { yaml: STARTER_CONFIG, file: 'railyard.yaml' });
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ created: 7, updated: 0, deleted: 0, unchanged: 0 });

    const created = await call(
      'POST',
      '/api/v1/releases',
      { product: 'web', version: '2.0.0', targetDate: '2026-12-24' },
      { 'railyard-actor': 'carol' },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ref: 'web@2.0.0', status: 'planned', author: 'carol' });

    const moved = await call('POST', '/api/v1/releases/web@2.0.0/status', { status: 'in_progress' }, { 'railyard-actor': 'carol' });
    expect(moved.body.status).toBe('in_progress');
    const shown = await call('GET', '/api/v1/releases/web%402.0.0');
    expect(shown.body).toMatchObject({ ref: 'web@2.0.0', changes: [], deployments: [] });
    const list = await call('GET', '/api/v1/releases?limit=1');
    expect(list.body.items).toHaveLength(1);
    const audit = await call('GET', '/api/v1/audit?limit=1');
    expect(audit.body.items[0]).toMatchObject({ actor: 'carol', action: 'release.status_changed' });
    expect((await call('GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true });
  });

  it('creates a release with its whole scope in one request, as release cut does', async () => {
    await call('POST', '/api/v1/config/apply', { yaml: STARTER_CONFIG });
    const change = (i: number) => ({ kind: 'commit', type: 'fix', ref: i.toString(16).padStart(40, '0'), title: `fix ${i}` });
    const changes = Array.from({ length: 6000 }, (_, i) => change(i));
    const created = await call('POST', '/api/v1/releases', { product: 'api', version: '5.0.0', changes }, { 'railyard-actor': 'dora' });
    expect(created.status).toBe(201);
    expect((await call('GET', '/api/v1/releases/api@5.0.0')).body.changes).toHaveLength(6000);
    const audit = await call('GET', '/api/v1/audit?limit=2');
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['release.scope_changed', 'release.created']);
    const tooMany = await call('POST', '/api/v1/releases', {
      product: 'api',
      version: '5.0.1',
      changes: Array.from({ length: 20_001 }, (_, i) => change(i)),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details[0]).toMatchObject({ path: 'body.changes' });
    expect((await call('GET', '/api/v1/releases/api@5.0.1')).status).toBe(404);
  });

  it('answers malformed JSON, wrong types and unknown ids with a 4xx error body, never a 500', async () => {
    await call('POST', '/api/v1/config/apply', { yaml: STARTER_CONFIG });
    await call('POST', '/api/v1/releases', { product: 'api', version: '0.9.0' });
    const malformed = await app.inject({
      method: 'POST',
      url: '/api/v1/releases',
      payload: '{"product": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(JSON.parse(malformed.body).error).toMatchObject({ code: 'bad_request', errorId: expect.any(String) });

    const wrongType = await call('POST', '/api/v1/releases', { product: 'web', version: 3, extra: true });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.code).toBe('validation_failed');
    expect(wrongType.body.error.details).toEqual(
      expect.arrayContaining([
        { path: 'body.version', message: 'expected string, got number 3' },
        {
          path: 'body.extra',
          message: "unknown field 'extra' (allowed: product, version, title, targetDate, author, train, notes, changes)",
        },
      ]),
    );

    const badQuery = await call('GET', '/api/v1/releases?limit=0&status=done');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error.message).toMatch(/querystring.limit/);

    expect((await call('GET', '/api/v1/releases/web@9.9.9')).body.error).toMatchObject({
      code: 'not_found',
      message: "release 'web@9.9.9' not found",
    });
    expect((await call('GET', '/api/v1/releases/nonsense')).status).toBe(400);
    expect((await call('GET', '/api/v1/products/nope')).status).toBe(404);
    expect((await call('GET', '/api/v1/nothing-here')).body.error.code).toBe('not_found');

    const invalidConfig = await call('POST', '/api/v1/config/apply', {
      yaml: 'environments:\n  - key: x\n    tier: qa\n',
      file: 'mine.yaml',
    });
    expect(invalidConfig.status).toBe(422);
    expect(invalidConfig.body.error.details[0]).toMatchObject({ file: 'mine.yaml', line: 3, column: 11, path: 'environments[0].tier' });

    const transition = await call('POST', '/api/v1/releases/api@0.9.0/status', { status: 'released' });
    expect(transition.status).toBe(409);
    expect(transition.body.error.code).toBe('invalid_transition');
  });

  it('publishes an OpenAPI document and a health check', async () => {
    const doc = await call('GET', '/api/v1/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/releases', '/api/v1/releases/{ref}', '/api/v1/config/apply']),
    );
    expect((await call('GET', '/healthz')).body).toEqual({ status: 'ok', database: dialect });
  });
});

describe('dashboard files', () => {
  let t: TestDb;
  let app: App;
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'railyard-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Railyard</title>');
    writeFileSync(join(root, 'favicon.svg'), '<svg/>');
    writeFileSync(join(root, 'assets', 'app-abc123.js'), 'console.log(1)');
    t = await openTestDb('sqlite');
    app = await buildServer(t.services, { webRoot: root });
  });
  afterAll(async () => {
    await app.close();
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves hashed assets as immutable and files added after start', async () => {
    const asset = await app.inject({ url: '/assets/app-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    writeFileSync(join(root, 'assets', 'app-def456.js'), 'console.log(2)');
    expect((await app.inject({ url: '/assets/app-def456.js' })).body).toBe('console.log(2)');
    expect((await app.inject({ url: '/favicon.svg' })).body).toBe('<svg/>');
  });

  it('answers a missing asset with a 404 error body, not the app shell', async () => {
    const missing = await app.inject({ url: '/assets/gone.js' });
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body).error.code).toBe('not_found');
  });

  it('sends the app shell for dashboard routes, including release refs with dots', async () => {
    for (const url of ['/', '/releases', '/releases/web%401.4.0', '/releases/web@1.4.0']) {
      const page = await app.inject({ url });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<title>Railyard</title>');
    }
    expect((await app.inject({ url: '/../../etc/passwd' })).body).not.toContain('root:');
  });

  it('answers a malformed URL with the error body', async () => {
    const bad = await app.inject({ url: '/api/v1/releases/%E0%A4%A' });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error).toMatchObject({ code: 'bad_request', errorId: expect.any(String) });
  });
});

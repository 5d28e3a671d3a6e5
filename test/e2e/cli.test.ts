import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RunningServer, railyard, startServer } from '../support/cli.js';

describe('railyard CLI, as a subprocess against a local database', () => {
  let dir: string;
  const run = (...args: string[]) => railyard(args, { cwd: dir });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its version', () => {
    const r = run('--version');
    expect(r).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it('init writes a starter file, and refuses to overwrite it', () => {
    expect(run('init')).toMatchObject({ code: 0 });
    const again = run('init');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: railyard.yaml already exists (use --force to overwrite it)\n');
  });

  it('apply shows the plan on a dry run, applies, and a second apply changes nothing', () => {
    const dry = run('apply', '-f', 'railyard.yaml', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('+ product web');
    expect(dry.stdout).toContain('plan: 7 to create, 0 to update, 0 to delete, 0 unchanged (dry run, nothing applied)');
    expect(JSON.parse(run('--json', 'apply', '-f', 'railyard.yaml').stdout)).toMatchObject({
      created: 7,
      updated: 0,
      deleted: 0,
      unchanged: 0,
    });
    expect(JSON.parse(run('apply', '-f', 'railyard.yaml', '--json').stdout)).toMatchObject({
      created: 0,
      updated: 0,
      deleted: 0,
      unchanged: 7,
    });
  });

  it('reports config errors as file:line:column and field, exit 1, no stack trace', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'environments:\n  - key: dev\n    tier: dev\n  - key: qa\n    tier: qa\n');
    const r = run('apply', '-f', 'bad.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: bad.yaml has 1 problem\n  bad.yaml:5:11 environments[1].tier: expected one of dev|test|staging|prod, got string "qa"\n',
    );
    expect(run('apply', '-f', 'missing.yaml').stderr).toBe('error: missing.yaml: no such file (create one with: railyard init)\n');
  });

  it('creates, lists, shows and moves releases, acting as --as', () => {
    const created = run(
      'releases',
      'create',
      'web',
      '1.4.0',
      '--title',
      'Spring sale',
      '--target-date',
      '2026-12-01',
      '--as',
      'alice',
      '--json',
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ ref: 'web@1.4.0', status: 'planned', author: 'alice', targetDate: '2026-12-01' });
    expect(run('releases', 'create', 'api', '1.2.0').stdout).toBe('created api@1.2.0 (planned)\n');

    const list = JSON.parse(run('releases', 'list', '--json').stdout);
    expect(list.items.map((r: { ref: string }) => r.ref)).toEqual(['api@1.2.0', 'web@1.4.0']);
    expect(list.nextCursor).toBeNull();
    expect(run('releases', 'list').stdout).toMatch(/web@1\.4\.0 .* planned .* 2026-12-01 .* Spring sale/);

    expect(run('releases', 'set-status', 'web@1.4.0', 'in_progress', '--as', 'bob').stdout).toBe('web@1.4.0 is now in_progress\n');
    const bad = run('releases', 'set-status', 'web@1.4.0', 'released');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'error: release web@1.4.0 cannot go from in_progress to released (allowed from in_progress: ready, cancelled)\n',
    );

    const shown = JSON.parse(run('releases', 'show', 'web@1.4.0', '--json').stdout);
    expect(shown).toMatchObject({ ref: 'web@1.4.0', status: 'in_progress', changes: [], deployments: [] });
    expect(run('releases', 'show', 'web@9.0.0').stderr).toBe("error: release 'web@9.0.0' not found\n");

    const audit = JSON.parse(run('audit', 'list', '--json', '--limit', '2').stdout);
    expect(audit.items.map((e: { actor: string; action: string }) => [e.actor, e.action])).toEqual([
      ['bob', 'release.status_changed'],
      ['root', 'release.created'].map((v, i) => (i === 0 ? expect.any(String) : v)),
    ]);
  });

  it('lists products and environments as tables or JSON', () => {
    expect(JSON.parse(run('products', 'list', '--json').stdout).map((p: { key: string }) => p.key)).toEqual(['api', 'web']);
    expect(run('products', 'show', 'web').stdout).toMatch(/depends on: +api >=1\.2\.0 <2/);
    expect(run('envs', 'list').stdout).toMatch(/prod .* prod .* Europe\/Berlin .* yes/);
  });

  it('usage errors exit 2', () => {
    expect(run('releases', 'create', 'web').code).toBe(2);
    expect(run('frobnicate').code).toBe(2);
    expect(run('releases', 'list', '--limit', 'lots').code).toBe(2);
  });

  it('audit verify exits 0 on an intact chain and 3, naming the event, after a row is edited', () => {
    expect(run('audit', 'verify')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^audit chain intact: \d+ events/) });
    const db = new Database(join(dir, 'railyard.db'));
    db.prepare(
      "update audit_events set after_state = replace(after_state, 'Spring sale', 'Autumn sale') where action = 'release.created'",
    ).run();
    const seq = (db.prepare("select seq from audit_events where action = 'release.created' order by seq limit 1").get() as { seq: number })
      .seq;
    db.close();
    const r = run('audit', 'verify', '--json');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, firstBroken: { seq, reason: expect.stringMatching(/edited/) } });
  });

  it('takes the database from RAILYARD_DB', () => {
    const r = railyard(['products', 'list', '--json'], { cwd: tmpdir(), env: { RAILYARD_DB: join(dir, 'railyard.db') } });
    expect(JSON.parse(r.stdout)).toHaveLength(2);
  });

  it('says so, in one line, when a PostgreSQL database cannot be reached', async () => {
    const port = await freePort();
    const r = railyard(['products', 'list', '--db', `postgres://railyard:secret@127.0.0.1:${port}/railyard`], { cwd: dir });
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe(`error: cannot use the database: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });
});

describe('railyard CLI against a server (--server)', () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-remote-'));
    railyard(['init'], { cwd: dir });
    server = await startServer(['--db', join(dir, 'server.db')], dir);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the same commands with the same output as against a local database', () => {
    const local = (...args: string[]) => railyard(['--db', join(dir, 'local.db'), ...args], { cwd: dir });
    const remote = (...args: string[]) => railyard(['--server', server.url, ...args], { cwd: dir });
    for (const r of [local, remote]) {
      expect(r('apply', '-f', 'railyard.yaml').code).toBe(0);
      expect(r('releases', 'create', 'web', '2.0.0', '--as', 'carol').code).toBe(0);
      expect(r('releases', 'set-status', 'web@2.0.0', 'in_progress', '--as', 'carol').code).toBe(0);
    }
    const strip = (s: string) => s.replace(/"(id|createdAt|updatedAt|releasedAt|at|hash|headHash|subjectId)": "[^"]*"/g, '"$1": "…"');
    for (const args of [
      ['products', 'list'],
      ['envs', 'list', '--json'],
      ['releases', 'show', 'web@2.0.0', '--json'],
      ['apply', '-f', 'railyard.yaml', '--json'],
    ]) {
      expect(strip(remote(...args).stdout)).toBe(strip(local(...args).stdout));
    }
    const remoteAudit = JSON.parse(remote('audit', 'list', '--json', '--limit', '1').stdout);
    expect(remoteAudit.items[0]).toMatchObject({ actor: 'carol', action: 'release.status_changed' });

    const bad = remote('releases', 'set-status', 'web@2.0.0', 'released');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(local('releases', 'set-status', 'web@2.0.0', 'released').stderr);
  });

  it('says clearly when the server cannot be reached', async () => {
    const port = await freePort();
    const r = railyard(['--server', `http://127.0.0.1:${port}`, 'releases', 'list'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: cannot reach Railyard server at http://127.0.0.1:${port} (ECONNREFUSED)\n`);
  });
});

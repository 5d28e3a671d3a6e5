import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { knownMigrations } from '../../src/platform/db/migrations.js';
import { type CliResult, railyard, railyardAsync, startServer } from '../support/cli.js';
import { DIALECTS, freshDatabaseUrl } from '../support/databases.js';

// Whatever migrations this checkout has: a new one changes no expectation here.
const MIGRATIONS = knownMigrations();
const LATEST = MIGRATIONS.at(-1) as string;

const CONFIG = `environments:
  - key: dev
    tier: dev
  - key: prod
    tier: prod
    approvals: { min: 1 }
products:
  - key: shop
    name: Shop — "the" café ☕
`;

/** The CLI as a subprocess without blocking the event loop, optionally with a small heap. */
const cli = (args: string[], options: { cwd: string; heapMb?: number }): Promise<CliResult> =>
  railyardAsync(args, {
    cwd: options.cwd,
    node: options.heapMb ? [`--max-old-space-size=${options.heapMb}`] : [],
    timeoutMs: 240_000,
  });

const body = (dump: string) => dump.slice(dump.indexOf('\n') + 1);

let dir: string;
const drops: (() => Promise<void>)[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'railyard-db-'));
  writeFileSync(join(dir, 'railyard.yaml'), CONFIG);
});
afterEach(async () => {
  for (const drop of drops.splice(0)) await drop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freshUrl(dialect: 'sqlite' | 'postgres'): Promise<string> {
  const { url, drop } = await freshDatabaseUrl(dialect);
  drops.push(drop);
  return url;
}

describe.each(DIALECTS)('railyard db migrate and db status (%s)', (dialect) => {
  it('three migrate processes racing on one empty database: one applies every migration, the others find it up to date', async () => {
    const db = await freshUrl(dialect);
    const before = railyard(['--db', db, 'db', 'status', '--json'], { cwd: dir });
    expect(before.code).toBe(3);
    expect(JSON.parse(before.stdout)).toMatchObject({ upToDate: false, pending: MIGRATIONS.length, unknown: 0 });

    const results = await Promise.all([1, 2, 3].map(() => cli(['--db', db, 'db', 'migrate', '--json'], { cwd: dir })));
    for (const r of results) expect(r).toMatchObject({ code: 0, stderr: '' });
    const outputs = results.map((r) => JSON.parse(r.stdout));
    expect(outputs.filter((o) => o.applied.length > 0).map((o) => o.applied)).toEqual([MIGRATIONS]);
    expect(outputs.filter((o) => o.upToDate)).toHaveLength(2);
    for (const o of outputs) expect(o).toMatchObject({ migration: LATEST, dialect });

    const after = railyard(['--db', db, 'db', 'status', '--json'], { cwd: dir });
    expect(after.code).toBe(0);
    const status = JSON.parse(after.stdout);
    expect(status).toMatchObject({ dialect, upToDate: true, pending: 0, unknown: 0 });
    // Each migration recorded exactly once in kysely_migration, at the time it was applied.
    expect(status.migrations.map((m: { name: string }) => m.name)).toEqual(MIGRATIONS);
    for (const m of status.migrations)
      expect(m).toMatchObject({ status: 'applied', appliedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    if (dialect === 'postgres') expect(status.location).not.toContain('railyard:railyard@');

    const human = railyard(['--db', db, 'db', 'migrate'], { cwd: dir });
    expect(human.stdout).toBe(`up to date: ${status.location} (${dialect}) is at ${LATEST}\n`);
  });
});

describe.each(DIALECTS)('three servers starting at once on one empty database (%s)', (dialect) => {
  it('all start and answer /healthz; the migrations are recorded once', async () => {
    const db = await freshUrl(dialect);
    const servers = await Promise.allSettled([1, 2, 3].map(() => startServer(['--db', db, '--no-worker'], dir)));
    try {
      for (const s of servers) expect(s.status).toBe('fulfilled');
      for (const s of servers) {
        if (s.status !== 'fulfilled') continue;
        expect(await (await fetch(`${s.value.url}/healthz`)).json()).toEqual({ status: 'ok', database: dialect });
      }
    } finally {
      await Promise.all(servers.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    }
    const status = railyard(['--db', db, 'db', 'status', '--json'], { cwd: dir });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).migrations.map((m: { name: string; status: string }) => `${m.name} ${m.status}`)).toEqual(
      MIGRATIONS.map((m) => `${m} applied`),
    );
  });
});

describe('railyard db status on a database that does not exist yet', () => {
  it('lists every migration as pending, exits 3 and creates nothing', () => {
    const r = railyard(['--db', 'missing.db', 'db', 'status'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('does not exist yet');
    expect(r.stdout).toContain(`${MIGRATIONS.length} pending: run \`railyard db migrate\``);
    expect(railyard(['--db', 'missing.db', 'db', 'export'], { cwd: dir })).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no database at'),
    });
    expect(() => readFileSync(join(dir, 'missing.db'))).toThrow();
  });

  it('refuses --server: the db commands work on the database itself (exit 2)', () => {
    const r = railyard(['--server', 'http://127.0.0.1:9', 'db', 'status'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('use --db (or RAILYARD_DB), not --server');
  });
});

describe.each(DIALECTS)('railyard db export and db import through the CLI (into %s)', (dialect) => {
  let source: string;
  let dump: string;
  beforeAll(() => {
    source = join(dir, `source-${dialect}.db`);
    const run = (...args: string[]) => railyard(['--db', source, ...args], { cwd: dir });
    expect(run('apply', '-f', 'railyard.yaml').code).toBe(0);
    expect(run('releases', 'create', 'shop', '1.0.0', '--title', 'première\nligne', '--as', 'zoë').code).toBe(0);
    expect(run('approve', 'shop@1.0.0', '--env', 'prod', '--as', 'bob').code).toBe(0);
    const out = run('db', 'export', '--out', 'dump.jsonl', '--json');
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ file: join(dir, 'dump.jsonl'), migration: LATEST, dialect: 'sqlite' });
    dump = readFileSync(join(dir, 'dump.jsonl'), 'utf8');
    // Standard output carries the same dump.
    expect(body(run('db', 'export').stdout)).toBe(body(dump));
  });

  it('imports into an empty database, refuses a second import, and --replace replaces in one go', async () => {
    const db = await freshUrl(dialect);
    const first = railyard(['--db', db, 'db', 'import', 'dump.jsonl', '--json'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ sourceDialect: 'sqlite', dialect, replaced: false, audit: { events: 5 } });
    expect(body(railyard(['--db', db, 'db', 'export'], { cwd: dir }).stdout)).toBe(body(dump));
    expect(railyard(['--db', db, 'audit', 'verify'], { cwd: dir }).code).toBe(0);

    const again = railyard(['--db', db, 'db', 'import', 'dump.jsonl'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds data .*pass --replace/);

    // New work in the target, then --replace: exactly the dump again.
    expect(railyard(['--db', db, 'releases', 'create', 'shop', '2.0.0'], { cwd: dir }).code).toBe(0);
    const replaced = railyard(['--db', db, 'db', 'import', 'dump.jsonl', '--replace'], { cwd: dir });
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain('replacing what it held');
    expect(replaced.stdout).toContain('audit chain intact: 5 events');
    expect(body(railyard(['--db', db, 'db', 'export'], { cwd: dir }).stdout)).toBe(body(dump));
  });

  it('a bad line: exit 1, the file, line and field named, the target untouched (even with --replace)', async () => {
    const db = await freshUrl(dialect);
    expect(railyard(['--db', db, 'db', 'import', 'dump.jsonl'], { cwd: dir }).code).toBe(0);
    expect(railyard(['--db', db, 'releases', 'create', 'shop', '3.0.0'], { cwd: dir }).code).toBe(0);
    const before = railyard(['--db', db, 'db', 'export'], { cwd: dir }).stdout;

    const lines = dump.trimEnd().split('\n');
    const at = lines.findIndex((l) => l.includes('"table":"releases"'));
    lines[at] = (lines[at] as string).replace(/"status":"[a-z_]+"/, '"status":null');
    writeFileSync(join(dir, 'bad.jsonl'), `${lines.join('\n')}\n`);
    const bad = railyard(['--db', db, 'db', 'import', 'bad.jsonl', '--replace'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      `error: cannot import bad.jsonl (nothing was imported)\n  bad.jsonl:${at + 1}:1 releases.status: must not be null\n`,
    );
    const json = railyard(['--db', db, '--json', 'db', 'import', 'bad.jsonl', '--replace'], { cwd: dir });
    expect(JSON.parse(json.stderr).error).toMatchObject({
      code: 'validation_failed',
      details: [{ file: 'bad.jsonl', line: at + 1, path: 'releases.status', message: 'must not be null' }],
    });

    writeFileSync(join(dir, 'notjson.jsonl'), `${dump.split('\n')[0]}\n{"table": "products", \n`);
    const garbled = railyard(['--db', db, 'db', 'import', 'notjson.jsonl', '--replace'], { cwd: dir });
    expect(garbled.code).toBe(1);
    expect(garbled.stderr).toMatch(/notjson\.jsonl:2:1 not valid JSON/);

    expect(body(railyard(['--db', db, 'db', 'export'], { cwd: dir }).stdout)).toBe(body(before));
  });

  it('refuses a dump from a newer schema, and one from an older schema, saying which migrations differ', async () => {
    const db = await freshUrl(dialect);
    const header = JSON.parse(dump.slice(0, dump.indexOf('\n')));
    const rest = dump.slice(dump.indexOf('\n') + 1);
    writeFileSync(
      join(dir, 'newer.jsonl'),
      `${JSON.stringify({ ...header, migration: '0099-future', migrations: [...MIGRATIONS, '0099-future'] })}\n${rest}`,
    );
    const newer = railyard(['--db', db, 'db', 'import', 'newer.jsonl'], { cwd: dir });
    expect(newer.code).toBe(1);
    expect(newer.stderr).toContain('newer.jsonl:1:1 migrations: the dump comes from a newer schema (migration 0099-future');
    expect(newer.stderr).toContain(`it knows up to ${LATEST}`);

    writeFileSync(
      join(dir, 'older.jsonl'),
      `${JSON.stringify({ ...header, migration: MIGRATIONS.at(-2), migrations: MIGRATIONS.slice(0, -1) })}\n${rest}`,
    );
    const older = railyard(['--db', db, 'db', 'import', 'older.jsonl'], { cwd: dir });
    expect(older.code).toBe(1);
    expect(older.stderr).toContain(`the dump comes from an older schema (it lacks migration ${LATEST})`);

    const empty = railyard(['--db', db, 'db', 'export'], { cwd: dir }).stdout;
    expect(empty.trimEnd().split('\n')).toHaveLength(4); // header, the two counter rows the migrations seed, end
  });

  it('refuses an edited audit trail with exit 3, importing nothing', async () => {
    const db = await freshUrl(dialect);
    const tampered = dump.replace(/("table":"audit_events","row":\{"action":")release\.created/, '$1release.deleted');
    expect(tampered).not.toBe(dump);
    writeFileSync(join(dir, 'tampered.jsonl'), tampered);
    const r = railyard(['--db', db, 'db', 'import', 'tampered.jsonl'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the audit chain in tampered\.jsonl does not verify at event #\d+/);
    expect(railyard(['--db', db, 'db', 'export'], { cwd: dir }).stdout.trimEnd().split('\n')).toHaveLength(4);
  });
});

describe('a large database', () => {
  it('exports and imports 100,000 rows in a 32 MB heap: the dump (about 75 MB) is streamed, never held', { timeout: 300_000 }, async () => {
    const db = join(dir, 'large.db');
    expect((await cli(['--db', db, 'db', 'migrate'], { cwd: dir })).code).toBe(0);
    const { default: SQLite } = await import('better-sqlite3');
    const sqlite = new SQLite(db);
    const insert = sqlite.prepare(
      "insert into step_logs (id, run_id, step_id, attempt, stream, text, at) values (?, 'run', 'step', 1, 'stdout', ?, '2026-11-26T12:00:00.000Z')",
    );
    const text = 'log line '.repeat(70);
    sqlite.transaction(() => {
      for (let i = 0; i < 100_000; i++) insert.run(`01LOG${String(i).padStart(8, '0')}`, `${text}${i}`);
    })();
    sqlite.close();

    const exported = await cli(['--db', db, 'db', 'export', '--out', 'large.jsonl', '--json'], { cwd: dir, heapMb: 32 });
    expect(exported.stderr).toBe('');
    expect(JSON.parse(exported.stdout)).toMatchObject({ rows: 100_002, tables: { step_logs: 100_000 } });

    const target = await freshUrl(DIALECTS.at(-1) as 'sqlite' | 'postgres');
    const imported = await cli(['--db', target, 'db', 'import', 'large.jsonl', '--json'], { cwd: dir, heapMb: 32 });
    expect(imported.stderr).toBe('');
    expect(JSON.parse(imported.stdout)).toMatchObject({ rows: 100_002, tables: { step_logs: 100_000 } });
  });
});

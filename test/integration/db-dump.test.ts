import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/features/audit/audit-service.js';
import { systemClock } from '../../src/platform/clock.js';
import { readCatalog } from '../../src/platform/db/catalog.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { exportDump } from '../../src/platform/db/dump-export.js';
import { importDump } from '../../src/platform/db/dump-import.js';
import { knownMigrations, migrateToLatest } from '../../src/platform/db/migrations.js';
import { DIALECTS, freshDatabaseUrl, openTestDb } from '../support/databases.js';
import { fillWorkspace } from '../support/workspace.js';

type Dialect = 'sqlite' | 'postgres';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freshDatabase(dialect: Dialect): Promise<DatabaseHandle> {
  const { url, drop } = await freshDatabaseUrl(dialect);
  const database = await openDatabase(url);
  cleanups.push(async () => {
    await database.close();
    await drop();
  });
  await migrateToLatest(database.db as never);
  return database;
}

async function dumpOf(database: DatabaseHandle): Promise<string> {
  let out = '';
  await exportDump(database, systemClock, async (chunk) => {
    out += chunk;
  });
  return out;
}

async function* linesOf(dump: string): AsyncGenerator<string> {
  for (const line of dump.split('\n')) if (line !== '') yield line;
}

/** Everything after the header: the header alone names the dialect and the time of the export. */
const body = (dump: string) => dump.slice(dump.indexOf('\n') + 1);

async function auditOk(database: DatabaseHandle) {
  return new AuditService({ db: database.db }).verify();
}

describe('db export and import: the portable dump', () => {
  it('carries a database filled by every feature from SQLite to each database and back, byte for byte', async () => {
    const source = await openTestDb('sqlite');
    cleanups.push(() => source.close());
    await fillWorkspace(source.services);
    const original = await dumpOf(source.services.database);

    const header = JSON.parse(original.slice(0, original.indexOf('\n')));
    expect(header).toMatchObject({ format: 'railyard-dump', version: 1, migration: knownMigrations().at(-1), dialect: 'sqlite' });
    // Every table holds rows, so every column kind and every table's key order is exercised.
    const tables = await readCatalog(source.services.database.db, 'sqlite');
    const counts = new Map<string, number>();
    for (const line of original.split('\n').slice(1, -2)) {
      const table = JSON.parse(line).table as string;
      counts.set(table, (counts.get(table) ?? 0) + 1);
    }
    expect(tables.filter((t) => !counts.has(t.name)).map((t) => t.name)).toEqual([]);
    expect(original.trimEnd().split('\n').at(-1)).toBe(JSON.stringify({ end: { rows: [...counts.values()].reduce((a, b) => a + b) } }));

    for (const dialect of DIALECTS) {
      const target = await freshDatabase(dialect);
      const summary = await importDump(target, linesOf(original), { file: 'dump.jsonl', replace: false });
      expect(summary).toMatchObject({ sourceDialect: 'sqlite', migration: knownMigrations().at(-1), replaced: false });
      const copy = await dumpOf(target);
      expect(body(copy)).toBe(body(original));
      expect(await auditOk(target)).toMatchObject({ ok: true, events: (await auditOk(source.services.database)).events });

      // …and back again into a new SQLite database: SQLite → PostgreSQL → SQLite.
      const back = await freshDatabase('sqlite');
      await importDump(back, linesOf(copy), { file: 'copy.jsonl', replace: false });
      expect(body(await dumpOf(back))).toBe(body(original));
    }
  });

  it.each(DIALECTS)('a bad line rolls the whole import back, naming the file, line and field (%s)', async (dialect) => {
    const source = await freshDatabase('sqlite');
    await sql`insert into products (id, key, name, description, tag_format, owners, notify, spec, created_at, updated_at)
      values ('01P1', 'shop', 'Shop', '', 'v{version}', '[]', '[]', '{}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`.execute(
      source.db,
    );
    const dump = await dumpOf(source);
    const target = await freshDatabase(dialect);
    const lines = dump.trimEnd().split('\n');
    const productLine = lines.findIndex((l) => l.includes('"table":"products"'));
    const broken = [...lines];
    broken[productLine] = (broken[productLine] as string).replace('"key":"shop"', '"key":42');
    const error = await importDump(target, linesOf(broken.join('\n')), { file: 'broken.jsonl', replace: false }).catch((e) => e);
    expect(error.details).toEqual([
      { file: 'broken.jsonl', line: productLine + 1, path: 'products.key', message: 'expected text, got number 42' },
    ]);
    expect(body(await dumpOf(target))).toBe(body(await dumpOf(await freshDatabase('sqlite'))));

    // A row the database itself refuses (a missing parent) is found and named too, after earlier rows went in.
    const trackLine = JSON.stringify({ table: 'track_environments', row: { environment_id: 'nope', position: 0, track_id: 'nope' } });
    const orphan = [...lines.slice(0, -1), trackLine, JSON.stringify({ end: { rows: lines.length - 1 } })];
    const refused = await importDump(target, linesOf(orphan.join('\n')), { file: 'orphan.jsonl', replace: false }).catch((e) => e);
    expect(refused.details[0]).toMatchObject({ file: 'orphan.jsonl', line: lines.length, path: 'track_environments' });
    expect(refused.details[0].message).toMatch(/the database refused the row: .*(FOREIGN KEY|foreign key)/);
    expect(await sql`select key from products`.execute(target.db)).toMatchObject({ rows: [] });

    // A dump cut short (no end line) is refused; nothing stays behind.
    const truncated = lines.slice(0, -1).join('\n');
    const cut = await importDump(target, linesOf(truncated), { file: 'cut.jsonl', replace: false }).catch((e) => e);
    expect(cut.details[0].message).toMatch(/stops without its end line/);
    expect(await sql`select key from products`.execute(target.db)).toMatchObject({ rows: [] });
  });

  it.each(DIALECTS)('moves sequences past imported rows, so the next row does not collide (%s)', async (dialect) => {
    // No Railyard table uses a serial column yet; a table of the test's own stands in for a future one.
    const source = await freshDatabase('sqlite');
    await sql`create table test_counters (id integer primary key autoincrement, note text not null)`.execute(source.db);
    await sql`insert into test_counters (note) values ('a'), ('b'), ('c')`.execute(source.db);
    const target = await freshDatabase(dialect);
    await sql
      .raw(
        dialect === 'postgres'
          ? 'create table test_counters (id bigserial primary key, note text not null)'
          : 'create table test_counters (id integer primary key autoincrement, note text not null)',
      )
      .execute(target.db);
    const summary = await importDump(target, linesOf(await dumpOf(source)), { file: 'd.jsonl', replace: false });
    expect(summary.sequences).toBe(dialect === 'postgres' ? 1 : 0);
    const { rows } = await sql<{ id: number | string }>`insert into test_counters (note) values ('d') returning id`.execute(target.db);
    expect(Number(rows[0]?.id)).toBe(4);
  });
});

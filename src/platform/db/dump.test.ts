import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CatalogTable } from './catalog.js';
import { endLine, headerLine, parseHeader, parseLine, rowLine } from './dump.js';

const TABLE: CatalogTable = {
  name: 'things',
  columns: [
    { name: 'count', kind: 'integer', nullable: false, sequence: null },
    { name: 'done', kind: 'boolean', nullable: true, sequence: null },
    { name: 'id', kind: 'text', nullable: false, sequence: null },
    { name: 'note', kind: 'text', nullable: true, sequence: null },
    { name: 'ratio', kind: 'real', nullable: true, sequence: null },
  ],
  primaryKey: ['id'],
  references: [],
};
const TABLES = new Map([[TABLE.name, TABLE]]);
const KNOWN = ['0001-core', '0002-calendar'];

function problem(fn: () => unknown): { message: string; details: unknown[] } {
  try {
    fn();
  } catch (error) {
    return error as { message: string; details: unknown[] };
  }
  throw new Error('expected a problem');
}

describe('the dump format', () => {
  it('writes the same line whichever way a driver returned the values', () => {
    // better-sqlite3: numbers and 0/1; pg: a bigint as a string and real booleans. Fields in name order.
    const fromSqlite = rowLine(TABLE, { id: 'a', note: null, count: 9007199254740991, done: 1, ratio: 0.5 });
    const fromPostgres = rowLine(TABLE, { ratio: 0.5, done: true, count: '9007199254740991', note: null, id: 'a' });
    expect(fromSqlite).toBe('{"table":"things","row":{"count":9007199254740991,"done":true,"id":"a","note":null,"ratio":0.5}}\n');
    expect(fromPostgres).toBe(fromSqlite);
  });

  it('refuses to export a value it cannot carry exactly, naming the column and the row', () => {
    expect(problem(() => rowLine(TABLE, { id: 'x', count: '9007199254740993' })).message).toBe(
      'cannot export things.count of row (x): expected a whole number within ±2^53, the database holds string "9007199254740993"',
    );
    expect(problem(() => rowLine(TABLE, { id: 'x', count: 1, note: Buffer.from('ab') })).message).toMatch(/binary data \(2 bytes\)/);
  });

  it('reads back what it wrote: any row survives rowLine → parseLine unchanged', () => {
    const row = fc.record({
      count: fc.maxSafeInteger(),
      done: fc.option(fc.boolean(), { nil: null }),
      id: fc.string({ unit: 'grapheme', minLength: 1 }),
      // Any UTF-16, lone surrogates included; not U+0000, which PostgreSQL refuses (tested below).
      note: fc.option(
        fc.string({ unit: 'binary' }).map((t) => t.replaceAll('\u0000', '')),
        { nil: null },
      ),
      ratio: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
    });
    fc.assert(
      fc.property(row, (r) => {
        const line = rowLine(TABLE, r);
        expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
        const parsed = parseLine(line.slice(0, -1), 'd.jsonl', 2, TABLES, 'postgres');
        // -0 is written as 0 by JSON; everything else comes back as it went in.
        expect(parsed).toEqual({ kind: 'row', table: TABLE, values: { ...r, ratio: Object.is(r.ratio, -0) ? 0 : r.ratio } });
      }),
    );
  });

  it('turns booleans into 0/1 for SQLite and keeps them for PostgreSQL', () => {
    const line = '{"table":"things","row":{"count":1,"done":true,"id":"a","note":null,"ratio":null}}';
    expect(parseLine(line, 'd', 2, TABLES, 'sqlite')).toMatchObject({ values: { done: 1 } });
    expect(parseLine(line, 'd', 2, TABLES, 'postgres')).toMatchObject({ values: { done: true } });
  });

  it('names the file, the line and the field of every problem in a row', () => {
    const at = (text: string) => problem(() => parseLine(text, 'dump.jsonl', 7, TABLES, 'postgres')).details[0];
    const ok = { count: 1, done: null, id: 'a', note: null, ratio: null };
    const line = (row: object, table = 'things') => JSON.stringify({ table, row });
    expect(at('{"table": "things", ')).toMatchObject({ file: 'dump.jsonl', line: 7, message: expect.stringMatching(/^not valid JSON/) });
    expect(at(line(ok, 'nothing'))).toMatchObject({ path: 'table', message: 'no table "nothing" in this database' });
    expect(at(line({ ...ok, colour: 'red' }))).toMatchObject({ path: 'things.colour', message: 'things has no column colour' });
    expect(at(line({ ...ok, note: undefined }))).toMatchObject({
      path: 'things.note',
      message: 'missing (every column is written, null included)',
    });
    expect(at(line({ ...ok, id: null }))).toMatchObject({ path: 'things.id', message: 'must not be null' });
    expect(at(line({ ...ok, count: 1.5 }))).toMatchObject({ path: 'things.count', message: 'expected a whole number, got number 1.5' });
    expect(at(line({ ...ok, done: 'yes' }))).toMatchObject({ path: 'things.done', message: 'expected true or false, got string "yes"' });
    expect(at(line({ ...ok, note: 'a\u0000b' }))).toMatchObject({ path: 'things.note', message: expect.stringMatching(/NUL character/) });
    expect(at('{"end": {"rows": "3"}}')).toMatchObject({ path: 'end.rows' });
    expect(parseLine(endLine(3).trim(), 'd', 9, TABLES, 'sqlite')).toEqual({ kind: 'end', rows: 3 });
  });

  it('checks the header: format, version, and the same migrations as the target', () => {
    const header = (over: object = {}) =>
      JSON.stringify({
        ...JSON.parse(headerLine({ migration: '0002-calendar', migrations: KNOWN, dialect: 'sqlite', exportedAt: 't' })),
        ...over,
      });
    const target = { migrations: KNOWN, known: KNOWN };
    expect(parseHeader(header(), 'd', target)).toMatchObject({ format: 'railyard-dump', version: 1, dialect: 'sqlite' });
    expect(problem(() => parseHeader('{"table":"x"}', 'd', target)).details[0]).toMatchObject({
      line: 1,
      message: expect.stringMatching(/^not a Railyard dump/),
    });
    expect(problem(() => parseHeader(header({ version: 2 }), 'd', target)).details[0]).toMatchObject({ path: 'version' });
    expect(problem(() => parseHeader(header({ migrations: [...KNOWN, '0003-x'] }), 'd', target)).details[0]).toMatchObject({
      path: 'migrations',
      message: expect.stringMatching(/^the dump comes from a newer schema \(migration 0003-x, .*it knows up to 0002-calendar\)/),
    });
    expect(problem(() => parseHeader(header({ migrations: ['0001-core'] }), 'd', target)).details[0]).toMatchObject({
      message: expect.stringMatching(/^the dump comes from an older schema \(it lacks migration 0002-calendar\)/),
    });
  });
});

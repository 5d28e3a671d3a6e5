import { createReadStream, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceRealReports, type RealReports } from '../../../test/fixtures/gates/reports.js';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';

const CONFIG = `
environments:
  - { key: staging, tier: staging }
  - { key: prod, tier: prod }
products:
  - { key: shop }
`;

let reports: RealReports;
beforeAll(() => {
  reports = produceRealReports();
});
afterAll(() => rmSync(reports.dir, { recursive: true, force: true }));

describe.each(DIALECTS)('evidence (%s)', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    await t.services.config.apply(CONFIG, 'railyard.yaml', { dryRun: false }, 'admin');
    await t.services.releases.create({ product: 'shop', version: '1.0.0', author: 'alice' }, 'alice');
  });
  afterAll(() => t.close());

  const add = (kind: string, path: string, source?: string) =>
    t.services.evidence.add({ release: 'shop@1.0.0', kind, source, content: createReadStream(path), file: path }, 'ci');

  it('ingests reports written by vitest, node --test and Biome', async () => {
    const vitest = await add('junit', reports.vitestJunit, 'vitest');
    expect(vitest.evidence.facts).toMatchObject({
      total: 4,
      passed: 2,
      failed: 1,
      skipped: 1,
      failing: ['sum.test.js > sum > is wrong on purpose'],
    });
    const node = await add('junit', reports.nodeJunit, 'node');
    expect(node.evidence.facts).toMatchObject({ total: 3, passed: 2, failed: 0, skipped: 1 });
    const lcov = await add('lcov', reports.nodeLcov);
    expect(lcov.evidence.facts).toMatchObject({ lines: expect.any(Number), branches: expect.any(Number), functions: 60 });
    const sarif = await add('sarif', reports.biomeSarif);
    expect(sarif.evidence.facts).toMatchObject({ rules: expect.objectContaining({ 'lint/suspicious/noDebugger': 1 }) });
    expect((sarif.evidence.facts as { error: number }).error).toBeGreaterThanOrEqual(1);
    expect((await add('cobertura', reports.cobertura)).evidence.facts).toEqual({ lines: 85, branches: 70 });
    expect((await add('istanbul', reports.istanbulSummary)).evidence.facts).toEqual({
      lines: 82.5,
      statements: 81.81,
      functions: 90,
      branches: 66.66,
    });
  });

  it('is idempotent per source: the same content changes nothing; new content replaces it and keeps history', async () => {
    const again = await add('junit', reports.vitestJunit, 'vitest');
    expect(again).toMatchObject({ changed: false, replaced: null });
    const replaced = await t.services.evidence.add(
      { release: 'shop@1.0.0', kind: 'junit', source: 'vitest', content: Readable.from(['<testsuite><testcase name="ok"/></testsuite>']) },
      'ci',
    );
    expect(replaced).toMatchObject({ changed: true, replaced: expect.any(String), evidence: { facts: { total: 1, failed: 0 } } });
    const current = await t.services.evidence.list('shop@1.0.0');
    expect(
      current
        .filter((e) => e.kind === 'junit')
        .map((e) => e.source)
        .sort(),
    ).toEqual(['node', 'vitest']);
    const history = await t.services.evidence.list('shop@1.0.0', true);
    expect(history.filter((e) => e.source === 'vitest').map((e) => e.supersededAt === null)).toEqual([true, false]);
    const events = await t.services.audit.list({ limit: 50, subjectType: 'release' });
    expect(events.map((e) => e.action)).toContain('evidence.replaced');
    expect(events.filter((e) => e.action === 'evidence.added')).toHaveLength(6);
  });

  it('records stated facts: CI status, sign-offs per role, custom values', async () => {
    await t.services.evidence.add({ release: 'shop@1.0.0', kind: 'ci', facts: { status: 'pass', url: 'https://ci/1' } }, 'ci');
    await t.services.evidence.add({ release: 'shop@1.0.0', kind: 'signoff', facts: { role: 'qa' } }, 'quinn');
    await t.services.evidence.add({ release: 'shop@1.0.0', kind: 'signoff', facts: { role: 'security' } }, 'sam');
    const custom = await t.services.evidence.add({ release: 'shop@1.0.0', kind: 'custom', facts: { p95_ms: 180 } }, 'ci');
    expect(custom.evidence.facts).toEqual({ p95_ms: 180 });
    const sources = (await t.services.evidence.list('shop@1.0.0')).map((e) => e.source);
    expect(sources).toEqual(expect.arrayContaining(['ci', 'signoff:qa', 'signoff:security', 'custom']));
    await expect(t.services.evidence.add({ release: 'shop@1.0.0', kind: 'ci', facts: { status: 'green' } }, 'ci')).rejects.toThrow(
      /status pass or fail/,
    );
  });

  it('refuses an unknown release before reading the report, and malformed reports store nothing', async () => {
    await expect(
      t.services.evidence.add({ release: 'shop@9.9.9', kind: 'junit', content: Readable.from(['<x']) }, 'ci'),
    ).rejects.toMatchObject({ code: 'not_found', message: "release 'shop@9.9.9' not found" });
    const before = (await t.services.evidence.list('shop@1.0.0', true)).length;
    await expect(
      t.services.evidence.add(
        { release: 'shop@1.0.0', kind: 'junit', content: Readable.from(['<testsuite>\n<testcase>\n']), file: 'r.xml' },
        'ci',
      ),
    ).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('r.xml: malformed JUnit XML') });
    expect((await t.services.evidence.list('shop@1.0.0', true)).length).toBe(before);
  });
});

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { fixedClock } from '../../platform/clock.js';
import { loadDemo } from './demo-loader.js';

const DEMO = join(import.meta.dirname, '..', '..', '..', 'examples', 'demo', 'railyard.yaml');

describe.each(DIALECTS)('demo workspace (%s)', (dialect) => {
  let t: TestDb | undefined;
  afterEach(async () => t?.close());

  it('fills an empty database with months of history through the real services, once', async () => {
    t = await openTestDb(dialect, fixedClock(new Date('2026-11-26T12:00:00Z')));
    const result = await loadDemo(t.services, DEMO);
    expect(result.loaded).toBe(true);
    expect(result.products).toBe(7);
    expect(result.releases).toBeGreaterThan(40);
    expect(result.deployments).toBeGreaterThan(100);

    const board = await t.services.portfolio.board();
    expect(board.environments.map((e) => e.key)).toEqual(['dev', 'test', 'staging', 'prod']);
    const running = board.products.flatMap((p) => Object.values(p.cells)).filter((c) => c?.version);
    expect(running.length).toBeGreaterThan(20);
    expect(board.products.every((p) => p.nextRelease !== null)).toBe(true);

    const statuses = new Set((await t.services.releases.list({ limit: 1000 })).map((r) => r.status));
    expect([...statuses].sort()).toEqual(expect.arrayContaining(['in_progress', 'planned', 'released']));
    expect(await t.services.audit.verify()).toMatchObject({ ok: true });

    expect(await loadDemo(t.services, DEMO)).toMatchObject({ loaded: false });
  });
});

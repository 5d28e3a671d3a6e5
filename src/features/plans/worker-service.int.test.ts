import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { localRunClient } from './worker-service.js';

const CONFIG = `plans:
  - key: checked
    steps:
      - { key: ok, manual: Say it is fine }
      - { key: go, run: ["true"], needs: [ok] }
environments:
  - { key: a, tier: dev, plan: checked }
  - { key: b, tier: dev, plan: checked }
products:
  - key: shop
`;

describe.each(DIALECTS)('waiting for a run from a local CLI (%s)', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb(dialect);
    await t.services.config.apply(CONFIG, 'railyard.yaml', { dryRun: false }, 'alice');
    await t.services.releases.create({ product: 'shop', version: '1.0.0' }, 'alice');
  });
  afterEach(async () => t.close());

  it('executes the run itself once the worker it relied on (another waiting CLI’s) has stopped', async () => {
    const first = localRunClient(t.services, 'alice');
    const second = localRunClient(t.services, 'bob');
    const a = await first.promote({ release: 'shop@1.0.0', environment: 'a' });
    const b = await second.promote({ release: 'shop@1.0.0', environment: 'b' });
    const waitingForA = first.wait(a.id, 30_000);
    while (!(await t.services.runs.workersAlive())) await new Promise((r) => setTimeout(r, 10));
    const waitingForB = second.wait(b.id, 30_000);

    // Promotions are queued until a worker admits them: confirm once each run waits for its person.
    const awaiting = async (id: string) => {
      while ((await t.services.runs.show(id)).status !== 'awaiting') await new Promise((r) => setTimeout(r, 10));
    };
    await awaiting(a.id);
    await first.confirm(a.id, 'ok', {});
    expect((await waitingForA).status).toBe('succeeded'); // and the first CLI's worker has stopped
    await awaiting(b.id);
    await second.confirm(b.id, 'ok', {});
    const done = await waitingForB;
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s) => [s.key, s.status])).toEqual([
      ['ok', 'succeeded'],
      ['go', 'succeeded'],
    ]);
  });
});

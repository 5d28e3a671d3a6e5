import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { findPlanFor } from './plan-store.js';

const CONFIG = `plans:
  - key: standard
    steps:
      - key: deploy
        run: ["sh", "-c", "echo deploying $RAILYARD_PRODUCT $RAILYARD_VERSION to $RAILYARD_ENV"]
      - key: verify
        needs: [deploy]
        verify: { http: { url: "http://127.0.0.1:9999/health", expectStatus: 200 }, for: PT5S, timeout: PT2M }
        onFailure: rollback
    rollback:
      - key: undo
        run: ["sh", "-c", "echo rolling back"]
  - key: careful
    steps:
      - { key: sign-off, approval: { min: 2 } }
      - { key: deploy, run: [./deploy], needs: [sign-off] }
environments:
  - key: staging
    tier: staging
    plan: standard
  - key: prod
    tier: prod
    plan: standard
products:
  - key: shop
    plans: { prod: careful }
  - key: api
`;

describe.each(DIALECTS)('plans applied from railyard.yaml (%s)', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb(dialect);
  });
  afterEach(async () => t.close());

  const apply = (text: string) => t.services.config.apply(text, 'railyard.yaml', { dryRun: false }, 'alice');
  const db = () => t.services.database.db;

  it('creates plans before the environments that name them, and a second apply changes nothing', async () => {
    const first = await apply(CONFIG);
    expect(first).toMatchObject({ created: 6, updated: 0, deleted: 0 });
    expect(first.items.slice(0, 2).map((i) => [i.kind, i.key, i.action])).toEqual([
      ['plan', 'standard', 'create'],
      ['plan', 'careful', 'create'],
    ]);
    const events = await t.services.audit.list({ actor: 'alice', limit: 20 });
    expect(events.map((e) => e.action)).toContain('plan.created');

    const eventsBefore = (await t.services.audit.verify()).events;
    expect(await apply(CONFIG)).toMatchObject({ created: 0, updated: 0, deleted: 0, unchanged: 6 });
    expect((await t.services.audit.verify()).events).toBe(eventsBefore);
  });

  it('finds the environment’s plan, or the product’s own choice for that environment', async () => {
    await apply(CONFIG);
    expect((await findPlanFor(db(), 'api', 'prod'))?.key).toBe('standard');
    expect((await findPlanFor(db(), 'shop', 'staging'))?.key).toBe('standard');
    const careful = await findPlanFor(db(), 'shop', 'prod');
    expect(careful?.steps.map((s) => [s.key, s.kind, s.needs])).toEqual([
      ['sign-off', 'approval', []],
      ['deploy', 'run', ['sign-off']],
    ]);
    expect(careful?.steps[0]?.approval).toEqual({ min: 2, role: null });
    // The stored spec is the normalized one the engine reads, defaults and all.
    const standard = await findPlanFor(db(), 'api', 'staging');
    expect(standard?.steps[1]?.verify).toMatchObject({ forMs: 5000, timeoutMs: 120_000, intervalMs: 1000 });
    expect(standard?.rollback.map((s) => s.key)).toEqual(['undo']);
    // An unknown product still gets the environment's plan; an unknown environment has none.
    expect((await findPlanFor(db(), 'nobody', 'prod'))?.key).toBe('standard');
    expect(await findPlanFor(db(), 'shop', 'nowhere')).toBeUndefined();
  });

  it('updates a plan whose step changed, and archives one no longer declared', async () => {
    await apply(CONFIG);
    const longer = CONFIG.replace('for: PT5S', 'for: PT30S');
    const changed = await apply(longer);
    expect(changed).toMatchObject({ created: 0, updated: 1, deleted: 0 });
    const item = changed.items.find((i) => i.kind === 'plan' && i.key === 'standard');
    expect(item?.action).toBe('update');
    expect(item?.changes.map((c) => c.field)).toEqual(['steps']);
    expect((await findPlanFor(db(), 'api', 'staging'))?.steps[1]?.verify?.forMs).toBe(30_000);

    const withoutCareful = longer
      .replace(/ {2}- key: careful[\s\S]*?(?=environments:)/, '')
      .replace('plans: { prod: careful }', 'tags: [web]');
    const removed = await apply(withoutCareful);
    expect(removed).toMatchObject({ created: 0, updated: 1, deleted: 1 });
    expect(removed.items.find((i) => i.action === 'delete')).toMatchObject({ kind: 'plan', key: 'careful' });
    expect((await findPlanFor(db(), 'shop', 'prod'))?.key).toBe('standard');
    const archived = await t.services.audit.list({ actor: 'alice', limit: 5 });
    expect(archived.map((e) => e.action)).toContain('plan.archived');

    // Declaring it again restores it.
    const restored = await apply(CONFIG);
    expect(restored.items.find((i) => i.key === 'careful')).toMatchObject({ kind: 'plan', action: 'create', restore: true });
    expect((await findPlanFor(db(), 'shop', 'prod'))?.key).toBe('careful');
  });

  it('leaves an environment without a plan with none', async () => {
    await apply('environments:\n  - { key: dev, tier: dev }\n');
    expect(await findPlanFor(db(), 'shop', 'dev')).toBeUndefined();
  });
});

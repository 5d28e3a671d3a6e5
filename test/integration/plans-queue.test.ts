import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { DIALECTS } from '../support/databases.js';
import { openPlanHarness, type PlanHarness } from '../support/plans.js';
import { allFinished, maxOverlap, sampleActiveRuns, startOrder } from '../support/queue.js';

/**
 * The Plans issue's third reliability test: 200 promotions of one product into one environment, all at once.
 * Never two active at once; all complete, in queue order (the order of their run ids).
 */
const COUNT = 200;
const MIXED = { products: ['red', 'green', 'blue'], each: 15, concurrency: 2 };

const CONFIG = `plans:
  - key: short
    steps:
      - { key: deploy, wait: 5ms }
environments:
  - { key: prod, tier: staging, plan: short }
  - { key: shared, tier: staging, plan: short, concurrency: ${MIXED.concurrency} }
products:
  - key: shop
${MIXED.products.map((p) => `  - key: ${p}`).join('\n')}
`;

describe.each(DIALECTS)('concurrent promotions into one environment (%s)', (dialect) => {
  let h: PlanHarness;
  let observer: DatabaseHandle;

  beforeAll(async () => {
    h = await openPlanHarness(dialect, CONFIG);
    await Promise.all([
      ...Array.from({ length: COUNT }, (_, i) => h.release(`shop@1.0.${i}`)),
      ...MIXED.products.flatMap((p) => Array.from({ length: MIXED.each }, (_, i) => h.release(`${p}@1.0.${i}`))),
    ]);
    await h.startWorker({ concurrency: 8 });
    await h.startWorker({ concurrency: 8 });
    observer = await openDatabase(h.t.url);
  }, 120_000);
  afterAll(async () => {
    await observer?.close();
    await h?.close();
  });

  it(`${COUNT} promotions of one product: never two active at once, all complete, in queue order`, async () => {
    const sampler = sampleActiveRuns(observer.db, 'prod');
    const promoted = await Promise.all(Array.from({ length: COUNT }, (_, i) => h.promote(`shop@1.0.${i}`, 'prod', `user${i % 7}`)));
    // One starts, the rest queue behind it.
    expect(promoted.filter((r) => r.status !== 'queued').length).toBeLessThanOrEqual(1);
    const runs = await allFinished(h.s, promoted, 90_000);
    const seen = await sampler.stop();

    expect(runs.map((r) => r.status)).toEqual(runs.map(() => 'succeeded'));
    expect(seen.samples).toBeGreaterThan(10);
    expect(seen.maxPerProduct).toBeLessThanOrEqual(1);
    expect(maxOverlap(runs)).toBe(1);

    const byId = [...runs].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(await startOrder(h.s, new Set(byId.map((r) => r.id)))).toEqual(byId.map((r) => r.id));
    // Each run started only after the one before it had finished.
    for (let i = 1; i < byId.length; i++) {
      expect(Date.parse(byId[i]?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(byId[i - 1]?.finishedAt ?? ''));
    }
    const deployments = await h.s.deployments.list({ product: 'shop', environment: 'prod', limit: 1000 });
    expect(deployments).toHaveLength(COUNT);
    // The last one promoted in queue order is the current version.
    expect(deployments[0]?.version).toBe(byId.at(-1)?.version);
  }, 120_000);

  it(`promotions of ${MIXED.products.length} products into an environment of concurrency ${MIXED.concurrency}: never more, never two of one product, each product in its queue order`, async () => {
    const sampler = sampleActiveRuns(observer.db, 'shared');
    const promoted = await Promise.all(
      MIXED.products.flatMap((p) => Array.from({ length: MIXED.each }, (_, i) => h.promote(`${p}@1.0.${i}`, 'shared'))),
    );
    const runs = await allFinished(h.s, promoted, 60_000);
    const seen = await sampler.stop();
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(seen.maxPerProduct).toBeLessThanOrEqual(1);
    expect(seen.maxInEnvironment).toBeLessThanOrEqual(MIXED.concurrency);
    expect(maxOverlap(runs, (a, b) => a.product === b.product)).toBe(1);
    expect(maxOverlap(runs)).toBe(MIXED.concurrency);

    const order = await startOrder(h.s, new Set(runs.map((r) => r.id)));
    for (const p of MIXED.products) {
      const ids = runs.filter((r) => r.product === p).map((r) => r.id);
      expect(order.filter((id) => ids.includes(id))).toEqual([...ids].sort());
    }
  }, 90_000);
});

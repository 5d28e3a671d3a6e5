import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIVE_RUN_STATUSES, FINAL_RUN_STATUSES } from '../../src/features/plans/plan.js';
import type { Run } from '../../src/features/plans/run.js';
import { DIALECTS } from '../support/databases.js';
import { openPlanHarness, type PlanHarness } from '../support/plans.js';

/**
 * The Plans issue's third reliability test: 200 promotions of one product into one environment, all at once.
 * Never two active at once; all complete, in queue order (the order of their run ids).
 */
const COUNT = 200;
const MIXED = { products: ['red', 'green', 'blue'], each: 15, concurrency: 2 };

const CONFIG = `plans:
  - key: short
    steps:
      - { key: deploy, run: ["true"] }
environments:
  - { key: prod, tier: staging, plan: short }
  - { key: shared, tier: staging, plan: short, concurrency: ${MIXED.concurrency} }
products:
  - key: shop
${MIXED.products.map((p) => `  - key: ${p}`).join('\n')}
`;

interface Sampler {
  stop(): Promise<{ samples: number; maxPerProduct: number; maxInEnvironment: number }>;
}

/** Reads the active runs of an environment again and again while the runs execute. */
function sample(h: PlanHarness, environment: string): Sampler {
  let running = true;
  let samples = 0;
  let maxPerProduct = 0;
  let maxInEnvironment = 0;
  const loop = (async () => {
    while (running) {
      const active = await h.s.database.db
        .selectFrom('runs')
        .select('product')
        .where('environment', '=', environment)
        .where('status', 'in', [...ACTIVE_RUN_STATUSES])
        .execute();
      samples++;
      maxInEnvironment = Math.max(maxInEnvironment, active.length);
      const perProduct = new Map<string, number>();
      for (const r of active) perProduct.set(r.product, (perProduct.get(r.product) ?? 0) + 1);
      maxPerProduct = Math.max(maxPerProduct, ...perProduct.values(), 0);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { samples, maxPerProduct, maxInEnvironment };
    },
  };
}

/** Run ids in the order the runs started: the audit chain's order of run.started events. */
async function startOrder(h: PlanHarness, ids: Set<string>): Promise<string[]> {
  const events = await h.s.database.db
    .selectFrom('audit_events')
    .select(['subject_id', 'seq'])
    .where('action', '=', 'run.started')
    .orderBy('seq')
    .execute();
  return events.map((e) => e.subject_id).filter((id) => ids.has(id));
}

async function allFinished(h: PlanHarness, runs: Run[], timeoutMs: number): Promise<Run[]> {
  const ids = runs.map((r) => r.id);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await h.s.database.db
      .selectFrom('runs')
      .select('id')
      .where('id', 'in', ids)
      .where('status', 'not in', [...FINAL_RUN_STATUSES])
      .execute();
    if (open.length === 0) break;
    if (Date.now() > deadline) throw new Error(`${open.length} of ${ids.length} runs still open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const all = await h.s.runs.list({ limit: 1000 });
  return all.filter((r) => ids.includes(r.id));
}

describe.each(DIALECTS)('concurrent promotions into one environment (%s)', (dialect) => {
  let h: PlanHarness;

  beforeAll(async () => {
    h = await openPlanHarness(dialect, CONFIG);
    await Promise.all([
      ...Array.from({ length: COUNT }, (_, i) => h.release(`shop@1.0.${i}`)),
      ...MIXED.products.flatMap((p) => Array.from({ length: MIXED.each }, (_, i) => h.release(`${p}@1.0.${i}`))),
    ]);
    await h.startWorker({ concurrency: 8 });
    await h.startWorker({ concurrency: 8 });
  }, 120_000);
  afterAll(async () => h?.close());

  it(`${COUNT} promotions of one product: never two active at once, all complete, in queue order`, async () => {
    const sampler = sample(h, 'prod');
    const promoted = await Promise.all(Array.from({ length: COUNT }, (_, i) => h.promote(`shop@1.0.${i}`, 'prod', `user${i % 7}`)));
    // One starts, the rest queue behind it.
    expect(promoted.filter((r) => r.status !== 'queued').length).toBeLessThanOrEqual(1);
    const runs = await allFinished(h, promoted, 90_000);
    const seen = await sampler.stop();

    expect(runs.map((r) => r.status)).toEqual(runs.map(() => 'succeeded'));
    expect(seen.samples).toBeGreaterThan(COUNT);
    expect(seen.maxPerProduct).toBe(1);

    const byId = [...runs].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(await startOrder(h, new Set(byId.map((r) => r.id)))).toEqual(byId.map((r) => r.id));
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
    const sampler = sample(h, 'shared');
    const promoted = await Promise.all(
      MIXED.products.flatMap((p) => Array.from({ length: MIXED.each }, (_, i) => h.promote(`${p}@1.0.${i}`, 'shared'))),
    );
    const runs = await allFinished(h, promoted, 60_000);
    const seen = await sampler.stop();
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(seen.maxPerProduct).toBe(1);
    expect(seen.maxInEnvironment).toBe(MIXED.concurrency);

    const order = await startOrder(h, new Set(runs.map((r) => r.id)));
    for (const p of MIXED.products) {
      const ids = runs.filter((r) => r.product === p).map((r) => r.id);
      expect(order.filter((id) => ids.includes(id))).toEqual([...ids].sort());
    }
  }, 90_000);
});

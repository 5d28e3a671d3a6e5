import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, openPlanHarness, type PlanHarness } from '../../../test/support/plans.js';
import { type DatabaseHandle, openDatabase } from '../../platform/db/database.js';
import type { Signal } from '../../platform/db/signals.js';
import type { ClaimedStep } from './engine-service.js';

const CONFIG = `plans:
  - key: pair
    steps:
      - { key: left, run: ["true"] }
      - { key: right, run: ["true"] }
      - { key: check, needs: [left, right], manual: "Look at the dashboards" }
      - { key: after, needs: [check], run: ["true"] }
environments:
  - { key: one, tier: staging, plan: pair }
  - { key: two, tier: staging, plan: pair }
products:
  - key: shop
`;

/**
 * What the engine's commits tell other processes on PostgreSQL: every change of a run, and work wherever it
 * leaves some that the committing process did not take itself (so other workers are not woken for nothing).
 */
describe.skipIf(!process.env.RAILYARD_TEST_POSTGRES_URL)('what commits announce to other processes (postgres)', () => {
  let h: PlanHarness;
  let other: DatabaseHandle;
  const heard: Signal[] = [];
  let version = 0;
  /** The steps of the first run, claimed in the second test and completed in the third. */
  let taken: ClaimedStep[] = [];

  beforeAll(async () => {
    h = await openPlanHarness('postgres', CONFIG);
    other = await openDatabase(h.t.url);
    other.signals.on((s) => heard.push(s));
    await eventually(async () => heard.some((s) => s.all), 'the other process to listen');
  });
  beforeEach(() => {
    heard.splice(0);
  });
  afterAll(async () => {
    await other?.close();
    await h?.close();
  });

  async function promote(env: string) {
    const ref = `shop@1.0.${version++}`;
    await h.release(ref);
    return h.promote(ref, env);
  }

  /** What the other process heard about `runId` within a moment (notifications of one commit arrive together). */
  async function heardOf(runId: string): Promise<{ work: boolean }[]> {
    await eventually(async () => heard.some((s) => s.runs?.includes(runId)), `a signal about run ${runId}`);
    await new Promise((r) => setTimeout(r, 150));
    return heard.filter((s) => s.runs?.includes(runId)).map((s) => ({ work: Boolean(s.work) }));
  }

  it('a promotion announces work and its run', async () => {
    const run = await promote('one');
    expect(await heardOf(run.id)).toEqual([{ work: true }]);
  });

  it('a claim that takes every step it made ready wakes nobody; one that leaves some wakes the others', async () => {
    taken = await h.s.engine.claim('w1', 5, 10_000);
    expect(taken.map((c) => c.key).sort()).toEqual(['left', 'right']);
    expect(await heardOf(taken[0]?.runId as string)).toEqual([{ work: false }]);

    heard.splice(0);
    const run = await promote('two');
    await heardOf(run.id);
    heard.splice(0);
    const [first] = await h.s.engine.claim('w2', 1, 10_000);
    expect(first?.runId).toBe(run.id);
    expect(await heardOf(run.id)).toEqual([{ work: true }]);
  });

  it('an outcome announces its run; a person confirming announces work', async () => {
    await h.s.engine.complete(taken.map((step) => ({ step, outcome: { kind: 'succeeded' as const }, logs: [] })));
    const runId = taken[0]?.runId as string;
    // The manual step waits for a person: nothing for a worker yet.
    expect(await heardOf(runId)).toEqual([{ work: false }]);
    heard.splice(0);
    await h.s.runs.confirm(runId, 'check', 'bob');
    expect(await heardOf(runId)).toEqual([{ work: true }]);
  });
});

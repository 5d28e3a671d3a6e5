import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import type { ClaimedStep, StepOutcome } from './engine-service.js';
import type { RunStatus } from './plan.js';
import { PlanWorker } from './plan-worker.js';
import type { RunDetail } from './run.js';

const CONFIG = `plans:
  - key: checked
    steps:
      - { key: deploy, run: [deploy] }
    rollback:
      - { key: check, manual: Look at the service }
      - { key: undo, run: [undo], needs: [check] }
  - key: plain
    steps:
      - { key: deploy, run: [deploy] }
    rollback:
      - { key: undo, run: [undo] }
environments:
  - { key: staging, tier: staging, plan: checked }
  - { key: test, tier: test, plan: plain }
products:
  - key: shop
`;

/** Outcomes by step key, in order; the last one repeats. Counts every execution. */
function fakeSteps(script: Record<string, StepOutcome['kind'][]>) {
  const executed: string[] = [];
  const execute = async (step: ClaimedStep): Promise<StepOutcome> => {
    executed.push(step.key);
    const kinds = script[step.key] ?? ['succeeded'];
    const kind = kinds[Math.min(executed.filter((k) => k === step.key).length, kinds.length) - 1];
    if (kind === 'failed') return { kind, error: `${step.key} broke`, retryable: false };
    if (kind === 'unknown') return { kind, error: `${step.key} was cut off` };
    return { kind: 'succeeded' };
  };
  return { executed, execute };
}

describe.each(DIALECTS)('people acting on runs (%s)', (dialect) => {
  let t: TestDb;
  let worker: PlanWorker | undefined;
  beforeEach(async () => {
    t = await openTestDb(dialect);
    await t.services.config.apply(CONFIG, 'railyard.yaml', { dryRun: false }, 'alice');
    await t.services.releases.create({ product: 'shop', version: '1.0.0' }, 'alice');
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await t.close();
  });

  const startWorker = async (execute: (step: ClaimedStep) => Promise<StepOutcome>) => {
    worker = new PlanWorker(t.services.engine, t.services.database.db, { execute, pollMs: 20, graceMs: 1000 });
    await worker.start();
  };
  const until = async (id: string, status: RunStatus): Promise<RunDetail> => {
    for (let i = 0; i < 500; i++) {
      const run = await t.services.runs.show(id);
      if (run.status === status) return run;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`run ${id} did not become ${status}: ${(await t.services.runs.show(id)).status}`);
  };
  const outbox = async (id: string) =>
    (await t.services.database.db.selectFrom('outbox').select('event').where('subject_id', '=', id).orderBy('id').execute()).map(
      (r) => r.event,
    );

  it('confirming a rollback step carries on with the rollback and announces it once', async () => {
    await startWorker(fakeSteps({ deploy: ['failed'] }).execute);
    const run = await t.services.runs.promote({ release: 'shop@1.0.0', environment: 'staging' }, 'alice');
    await until(run.id, 'awaiting');
    await t.services.runs.confirm(run.id, 'check', 'bob');
    const done = await until(run.id, 'rolled_back');
    expect(done.steps.map((s) => [s.key, s.status])).toEqual([
      ['deploy', 'failed'],
      ['check', 'succeeded'],
      ['undo', 'succeeded'],
    ]);
    expect(await outbox(run.id)).toEqual(['run.started', 'run.rolling_back', 'run.awaiting', 'run.rolled_back']);
  });

  it('retrying a run whose rollback step needs attention re-runs that step, not the deploy', async () => {
    const fake = fakeSteps({ deploy: ['failed'], undo: ['unknown', 'succeeded'] });
    await startWorker(fake.execute);
    const run = await t.services.runs.promote({ release: 'shop@1.0.0', environment: 'test' }, 'alice');
    await until(run.id, 'needs_attention');
    const retried = await t.services.runs.retry(run.id, 'bob');
    expect(['rolling_back', 'rolled_back']).toContain(retried.status);
    const done = await until(run.id, 'rolled_back');
    expect(done.error).toBe('step deploy failed: deploy broke');
    expect(fake.executed).toEqual(['deploy', 'undo', 'undo']);
  });

  it('a run retried after it needed attention says it is running again, at once', async () => {
    await t.services.runs.promote({ release: 'shop@1.0.0', environment: 'test' }, 'alice');
    const fake = fakeSteps({ deploy: ['unknown', 'succeeded'] });
    await startWorker(fake.execute);
    const [run] = await t.services.runs.list({ limit: 1 });
    await until(run?.id ?? '', 'needs_attention');
    await worker?.stop();
    const retried = await t.services.runs.retry(run?.id ?? '', 'bob');
    expect(retried.status).toBe('running');
    expect(retried.steps.find((s) => s.key === 'deploy')?.status).toBe('ready');
  });

  it('an --at time that has already come is a promotion now: a freeze in force blocks it', async () => {
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
    const frozen = `${CONFIG}windows:
  - { key: freeze, kind: freeze, environments: [test], start: "${iso(now - 3_600_000)}", end: "${iso(now + 86_400_000)}" }
`;
    await t.services.config.apply(frozen, 'railyard.yaml', { dryRun: false }, 'alice');
    const promote = (at?: string) => t.services.runs.promote({ release: 'shop@1.0.0', environment: 'test', at }, 'alice');
    await expect(promote()).rejects.toMatchObject({ code: 'blocked' });
    await expect(promote(iso(now))).rejects.toMatchObject({ code: 'blocked' });
    await expect(promote(iso(now + 2 * 86_400_000))).resolves.toMatchObject({ status: 'scheduled' });
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/support/databases.js';
import {
  eventually,
  type FakeService,
  type Ledger,
  openPlanHarness,
  type PlanHarness,
  startFakeService,
  startLedger,
  writeEffectScript,
} from '../../../test/support/plans.js';
import type { ClaimedStep } from './engine-service.js';
import { executeStep } from './step-executor.js';

/**
 * House style 14: every step kind that a worker executes may run twice — a worker can die after the effect and
 * before recording it — and running it again must be harmless. Here a "ghost" worker claims a step with a short
 * lease, executes it for real, and never records the outcome; a real worker takes the step over when the lease
 * runs out, runs it again, and the ghost's late writes are refused.
 */
function config(effect: string, ledger: string, health: string): string {
  const run = (extra: string) => `run: ${JSON.stringify(['bash', effect, ledger.split(':').at(-1), ...(extra ? [extra] : [])])}`;
  return `plans:
  - key: run-once
    steps:
      - { key: deploy, ${run('')}, idempotent: true }
      - { key: tell, needs: [deploy], notify: "deployed" }
  - key: http-once
    steps:
      - key: call
        http: { method: POST, url: "${ledger}/effect", headers: { idempotency-key: "$\{RAILYARD_IDEMPOTENCY_KEY}" }, body: "deploy" }
        idempotent: true
  - key: verify-once
    steps:
      - { key: probe, verify: { http: { url: "${health}/health" }, for: 200ms, interval: 50ms, timeout: 5s } }
  - key: wait-once
    steps:
      - { key: soak, wait: 200ms }
      - { key: after, needs: [soak], run: ["true"] }
  - key: not-idempotent
    steps:
      - { key: migrate, ${run('')} }
      - { key: after, needs: [migrate], run: ["true"] }
  - key: slow
    steps:
      - { key: deploy, ${run('2')}, idempotent: true }
  - key: slow-unsafe
    steps:
      - { key: deploy, ${run('2')} }
environments:
  - { key: run-env, tier: staging, plan: run-once }
  - { key: http-env, tier: staging, plan: http-once }
  - { key: verify-env, tier: staging, plan: verify-once }
  - { key: wait-env, tier: staging, plan: wait-once }
  - { key: unsafe-env, tier: staging, plan: not-idempotent }
  - { key: slow-env, tier: staging, plan: slow }
  - { key: slow-unsafe-env, tier: staging, plan: slow-unsafe }
products:
  - key: shop
`;
}

describe.each(DIALECTS)('steps that run twice after a lost lease (%s)', (dialect) => {
  let h: PlanHarness;
  let ledger: Ledger;
  let health: FakeService;
  let dir: string;
  let version = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-leases-'));
    ledger = await startLedger();
    health = await startFakeService((_req, _body, res) => {
      res.end('ok\n');
    });
    h = await openPlanHarness(dialect, config(writeEffectScript(dir), ledger.url, health.url));
  });
  afterEach(async () => h.stopWorkers());
  afterAll(async () => {
    await h?.close();
    await ledger?.close();
    await health?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Promotes a new version of shop into `env` with no worker running. */
  async function promote(env: string) {
    const ref = `shop@1.0.${version++}`;
    await h.release(ref);
    return h.promote(ref, env);
  }

  /** Claims the run's first ready step as a worker that will never heartbeat, and executes it for real. */
  async function ghostAttempt(leaseMs = 300): Promise<ClaimedStep> {
    const [step] = await eventually(async () => {
      const claimed = await h.s.engine.claim('ghost', 1, leaseMs);
      return claimed.length > 0 && claimed;
    }, 'a step to claim');
    const outcome = await executeStep(step as ClaimedStep, { signal: new AbortController().signal, log: () => {} });
    expect(outcome.kind).toBe('succeeded');
    return step as ClaimedStep;
  }

  /** After the takeover: the ghost's completion and output are refused, and the step's record is the new worker's. */
  async function expectGhostRefused(step: ClaimedStep, workerId: string) {
    const logs = [
      {
        runId: step.runId,
        stepId: step.id,
        attempt: step.attempt,
        stream: 'stdout' as const,
        text: 'ghost was here\n',
        at: new Date().toISOString(),
      },
    ];
    expect(await h.s.engine.heartbeat(step, 1_000)).toBe(false);
    await h.s.engine.appendLogs([{ step, logs }]);
    expect(await h.s.engine.complete([{ step, outcome: { kind: 'failed', error: 'ghost' }, logs }])).toEqual([step.id]);
    const row = await h.s.database.db.selectFrom('step_runs').selectAll().where('id', '=', step.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'succeeded', attempt: 1, lost_leases: 1, lease_token: 2, error: null });
    expect(await h.output(step.runId)).not.toContain('ghost was here');
    const events = await h.s.audit.list({ subjectType: 'step', subjectId: step.id, limit: 20 });
    expect(events.map((e) => [e.action, e.actor]).reverse()).toEqual([
      ['step.started', 'ghost'],
      ['step.lease_expired', 'railyard'],
      ['step.started', workerId],
      ['step.succeeded', workerId],
    ]);
  }

  it('run: the command runs again with the same idempotency key, and the receiver applies its effect once', async () => {
    const run = await promote('run-env');
    const step = await ghostAttempt();
    const worker = await h.startWorker({ leaseMs: 1_000 });
    expect((await h.finished(run.id)).status).toBe('succeeded');
    await expectGhostRefused(step, worker.id);
    const entry = ledger.entries.get(`${run.id}:deploy:deploy`);
    expect(entry?.applied).toBe(1);
    // Both attempts are attempt 1: a lost lease does not count against the step's retries.
    expect(entry?.calls.map((c) => c.attempt)).toEqual(['1', '1']);
    expect(await h.output(run.id, 'deploy')).toMatch(/^effect \S+ attempt 1 by worker pid \d+\ndone by worker pid \d+\n$/);
    // notify: its dependent step ran twice, yet it was sent once (in the transaction that recorded the step).
    const sent = await h.s.database.db
      .selectFrom('outbox')
      .select('id')
      .where('event', '=', 'plan.notify')
      .where('subject_id', '=', run.id)
      .execute();
    expect(sent).toHaveLength(1);
  });

  it('http: the request is sent again with the same Idempotency-Key header', async () => {
    const run = await promote('http-env');
    const step = await ghostAttempt();
    const worker = await h.startWorker({ leaseMs: 1_000 });
    expect((await h.finished(run.id)).status).toBe('succeeded');
    await expectGhostRefused(step, worker.id);
    const entry = ledger.entries.get(`${run.id}:deploy:call`);
    expect(entry).toMatchObject({ applied: 1, calls: [{}, {}] });
  });

  it('verify: probing again is harmless, and the condition must hold again for the new attempt', async () => {
    const run = await promote('verify-env');
    const step = await ghostAttempt();
    const before = health.requests.length;
    const worker = await h.startWorker({ leaseMs: 1_000 });
    const done = await h.finished(run.id);
    expect(done.status).toBe('succeeded');
    await expectGhostRefused(step, worker.id);
    // The new attempt saw the condition hold for the whole `for` again, from a first probe to a later one; how
    // many probes fit in 200 ms depends on the machine's load, so only the two ends are counted.
    expect(health.requests.length - before).toBeGreaterThanOrEqual(2);
    expect((done.steps[0]?.result as { heldMs?: number } | undefined)?.heldMs).toBeGreaterThanOrEqual(200);
  });

  it('wait: a wait taken over after its time has come does not wait again', async () => {
    const run = await promote('wait-env');
    const step = await ghostAttempt();
    const worker = await h.startWorker({ leaseMs: 1_000 });
    const done = await h.finished(run.id);
    expect(done.status).toBe('succeeded');
    await expectGhostRefused(step, worker.id);
  });

  it('a step that is not idempotent is not run again: it needs attention, and a person confirms it took effect', async () => {
    const run = await promote('unsafe-env');
    const step = await ghostAttempt();
    await h.startWorker({ leaseMs: 1_000 });
    const stuck = await h.until(run.id, (r) => r.status === 'needs_attention', 'the run to need attention');
    expect(stuck.steps[0]).toMatchObject({
      status: 'needs_attention',
      error: 'the worker running attempt 1 stopped answering and the step is not idempotent: it may or may not have had its effect',
    });
    expect(ledger.entries.get(`${run.id}:deploy:migrate`)?.calls).toHaveLength(1);
    // The slot stays taken while a person decides.
    expect((await h.s.runs.list({ environment: 'unsafe-env', status: 'needs_attention', limit: 5 })).map((r) => r.id)).toEqual([run.id]);
    expect(await h.s.engine.complete([{ step, outcome: { kind: 'succeeded' }, logs: [] }])).toEqual([step.id]);

    await h.s.runs.confirm(run.id, 'migrate', 'bob', { note: 'the migration is in the schema table' });
    const done = await h.finished(run.id);
    expect(done.status).toBe('succeeded');
    expect(done.steps[0]?.result).toEqual({ resolvedBy: 'bob', note: 'the migration is in the schema table' });
    expect(ledger.entries.get(`${run.id}:deploy:migrate`)?.calls).toHaveLength(1);
  });

  it('a step that needs attention can be retried: a person decides to run it again', async () => {
    const run = await promote('unsafe-env');
    await ghostAttempt();
    await h.startWorker({ leaseMs: 1_000 });
    await h.until(run.id, (r) => r.status === 'needs_attention', 'the run to need attention');
    const retried = await h.s.runs.retry(run.id, 'bob');
    // The run is running again at once (it does not keep saying it needs attention until a step finishes).
    expect(retried.status).toBe('running');
    const done = await h.finished(run.id);
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s) => [s.key, s.status, s.attempt])).toEqual([
      ['migrate', 'succeeded', 1],
      ['after', 'succeeded', 1],
    ]);
    expect(ledger.entries.get(`${run.id}:deploy:migrate`)?.calls).toHaveLength(2);
  });

  it('an idempotent step that loses its worker again and again stops being retried after 10 times and waits for a person', async () => {
    const run = await promote('verify-env');
    for (let i = 1; i <= 10; i++) {
      const [step] = await eventually(async () => {
        const claimed = await h.s.engine.claim(`ghost-${i}`, 1, 1);
        return claimed.length > 0 && claimed;
      }, `claim ${i}`);
      expect(step?.attempt).toBe(1);
      await new Promise((r) => setTimeout(r, 5));
      expect(await h.s.engine.reapExpired()).toBe(1);
    }
    const stuck = await h.s.runs.show(run.id);
    expect(stuck.status).toBe('needs_attention');
    expect(stuck.steps[0]).toMatchObject({ status: 'needs_attention', error: 'the step lost its worker 10 times' });
    expect(await h.s.engine.claim('ghost-11', 1, 1_000)).toEqual([]);
    await h.s.runs.cancel(run.id, 'bob');
  });

  it('a worker that stops gracefully gives an idempotent step back, and another worker runs it (the attempt is not counted)', async () => {
    const run = await promote('slow-env');
    const first = await h.startWorker({ leaseMs: 5_000, graceMs: 100 });
    await h.until(run.id, (r) => r.steps[0]?.status === 'running', 'the step to start');
    await eventually(async () => ledger.entries.has(`${run.id}:deploy:deploy`), 'the effect');
    await first.stop();
    const released = await h.s.runs.show(run.id);
    expect(released.steps[0]).toMatchObject({ status: 'ready', attempt: 0 });
    await h.startWorker({ leaseMs: 5_000 });
    const done = await h.finished(run.id);
    expect(done.steps[0]).toMatchObject({ status: 'succeeded', attempt: 1 });
    expect(ledger.entries.get(`${run.id}:deploy:deploy`)).toMatchObject({ applied: 1, calls: [{}, {}] });
  });

  it('a worker that stops gracefully during a step that is not idempotent leaves it for a person', async () => {
    const run = await promote('slow-unsafe-env');
    const first = await h.startWorker({ leaseMs: 5_000, graceMs: 100 });
    await eventually(async () => ledger.entries.has(`${run.id}:deploy:deploy`), 'the effect');
    await first.stop();
    const stuck = await h.s.runs.show(run.id);
    expect(stuck.status).toBe('needs_attention');
    expect(stuck.steps[0]?.error).toBe(`worker ${first.id} stopped during attempt 1`);
    await h.s.runs.cancel(run.id, 'bob', 'will redo by hand');
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { fixedClock } from '../../platform/clock.js';
import type { ClaimedStep, Completion, RunEngine, StepOutcome } from './engine-service.js';
import { PlanWorker } from './plan-worker.js';

/**
 * The engine records outcomes in batches and claims several steps at once. These tests drive claim and
 * complete directly and check that a batch leaves the same steps, runs, audit events and outbox rows as the
 * same outcomes recorded one at a time would, and that fencing holds inside a batch.
 */
const CONFIG = `plans:
  - key: chain
    steps:
      - { key: a, wait: PT0S }
      - { key: b, wait: PT0S, needs: [a] }
      - { key: tell, notify: "live", needs: [b] }
  - key: fragile
    steps:
      - { key: a, wait: PT0S, retries: 1, backoff: PT1S }
      - { key: b, wait: PT0S, needs: [a] }
    rollback:
      - { key: undo, wait: PT0S }
  - key: person
    steps:
      - { key: a, wait: PT0S }
      - { key: look, manual: "look at it", needs: [a] }
environments:
  - { key: staging, tier: staging, plan: chain, concurrency: 5 }
  - { key: qa, tier: test, plan: fragile, concurrency: 5 }
  - { key: uat, tier: test, plan: person, concurrency: 5 }
  - { key: prod, tier: prod, plan: chain }
products:
  - key: shop
  - key: api
`;

const T0 = new Date('2026-11-26T10:00:00.000Z');
const LEASE = 30_000;

describe.each(DIALECTS)('run engine, batched transitions (%s)', (dialect) => {
  let t: TestDb;
  const clock = fixedClock(T0);
  beforeEach(async () => {
    clock.set(T0);
    t = await openTestDb(dialect, clock);
    await t.services.config.apply(CONFIG, 'railyard.yaml', { dryRun: false }, 'alice');
    for (const product of ['shop', 'api']) {
      await t.services.releases.create({ product, version: '1.0.0' }, 'alice');
      await t.services.releases.create({ product, version: '1.1.0' }, 'alice');
    }
  });
  afterEach(async () => t.close());

  const engine = () => t.services.engine;
  const promote = async (release: string, environment: string) => (await t.services.runs.promote({ release, environment }, 'alice')).id;
  const done = (step: ClaimedStep, outcome: StepOutcome = { kind: 'succeeded' }): Completion => ({ step, outcome, logs: [] });
  const later = (ms: number) => clock.set(new Date(clock.now().getTime() + ms));
  const claimOf = (claimed: ClaimedStep[], runId: string) => claimed.find((c) => c.runId === runId) as ClaimedStep;

  async function steps(runId: string) {
    const detail = await t.services.runs.show(runId);
    return Object.fromEntries(detail.steps.map((s) => [s.key, `${s.status}/${s.attempt}`]));
  }
  async function actions(runId: string) {
    const db = t.services.database.db;
    const stepIds = (await db.selectFrom('step_runs').select('id').where('run_id', '=', runId).execute()).map((r) => r.id);
    const rows = await db
      .selectFrom('audit_events')
      .select(['action', 'subject_type'])
      .where((eb) => eb.or([eb('subject_id', '=', runId), eb('subject_id', 'in', stepIds)]))
      .orderBy('seq')
      .execute();
    return rows.map((r) => r.action);
  }
  async function outbox(runId: string) {
    const rows = await t.services.database.db.selectFrom('outbox').select('event').where('subject_id', '=', runId).orderBy('id').execute();
    return rows.map((r) => r.event);
  }

  it('records outcomes of several runs in one batch as if one at a time, and moves each run on', async () => {
    const shop = await promote('shop@1.0.0', 'staging');
    const api = await promote('api@1.0.0', 'staging');
    const first = await engine().claim('w1', 10, LEASE);
    expect(first.map((c) => c.key).sort()).toEqual(['a', 'a']);
    expect(first.every((c) => c.token === 1 && c.attempt === 1)).toBe(true);
    expect(claimOf(first, shop).vars).toMatchObject({ RAILYARD_PRODUCT: 'shop', RAILYARD_ENV: 'staging', RAILYARD_ATTEMPT: '1' });
    expect(claimOf(first, shop).spec).toMatchObject({ key: 'a', kind: 'wait', needs: [] });

    expect(await engine().complete(first.map((c) => done(c)))).toEqual([]);
    const second = await engine().claim('w1', 10, LEASE);
    expect(second.map((c) => `${c.runId === shop ? 'shop' : 'api'}:${c.key}`).sort()).toEqual(['api:b', 'shop:b']);

    const refused = await engine().complete([
      done(claimOf(second, shop)),
      done(claimOf(second, api), { kind: 'failed', error: 'boom', retryable: false }),
    ]);
    expect(refused).toEqual([]);

    expect(await steps(shop)).toEqual({ a: 'succeeded/1', b: 'succeeded/1', tell: 'succeeded/1' });
    expect(await steps(api)).toEqual({ a: 'succeeded/1', b: 'failed/1', tell: 'cancelled/0' });
    expect((await t.services.runs.show(shop)).status).toBe('succeeded');
    const apiRun = await t.services.runs.show(api);
    expect(apiRun.status).toBe('failed');
    expect(apiRun.error).toBe('step b failed: boom');

    expect(await actions(shop)).toEqual([
      'run.created',
      'run.started',
      'step.started',
      'step.succeeded',
      'step.started',
      'step.succeeded',
      'step.succeeded',
      'run.succeeded',
    ]);
    expect(await actions(api)).toEqual([
      'run.created',
      'run.started',
      'step.started',
      'step.succeeded',
      'step.started',
      'step.failed',
      'run.failed',
    ]);
    expect(await outbox(shop)).toEqual(['run.started', 'plan.notify', 'run.succeeded']);
    expect(await outbox(api)).toEqual(['run.started', 'run.failed']);
    const deployments = await t.services.database.db.selectFrom('deployments').select(['status', 'version']).orderBy('status').execute();
    expect(deployments).toEqual([
      { status: 'failed', version: '1.0.0' },
      { status: 'succeeded', version: '1.0.0' },
    ]);
    expect((await t.services.audit.verify()).ok).toBe(true);
  });

  it('refuses a stale token and a second completion of the same attempt, even inside one batch', async () => {
    const shop = await promote('shop@1.0.0', 'staging');
    const [stale] = await engine().claim('w1', 1, LEASE);
    if (!stale) throw new Error('nothing claimed');
    later(LEASE + 1);
    expect(await engine().reapExpired()).toBe(1);
    const [fresh] = await engine().claim('w2', 1, LEASE);
    if (!fresh) throw new Error('nothing claimed');
    expect(fresh.id).toBe(stale.id);
    expect(fresh.token).toBe(stale.token + 1);
    expect(fresh.attempt).toBe(1);

    expect(await engine().heartbeat(stale, LEASE)).toBe(false);
    expect(await engine().heartbeat(fresh, LEASE)).toBe(true);
    const refused = await engine().complete([
      done(stale, { kind: 'failed', error: 'stale worker', retryable: false }),
      done(fresh),
      done(fresh, { kind: 'failed', error: 'twice', retryable: false }),
    ]);
    expect(refused).toEqual([stale.id, fresh.id]);
    expect(await steps(shop)).toMatchObject({ a: 'succeeded/1', b: 'ready/0' });
    expect(await actions(shop)).toEqual([
      'run.created',
      'run.started',
      'step.started',
      'step.lease_expired',
      'step.started',
      'step.succeeded',
    ]);
    const [b] = await engine().claim('w2', 5, LEASE);
    expect(b?.key).toBe('b');
  });

  it('retries after the backoff, then rolls back, and records the failed deployment', async () => {
    const shop = await promote('shop@1.0.0', 'qa');
    const [a1] = await engine().claim('w1', 5, LEASE);
    if (!a1) throw new Error('nothing claimed');
    await engine().complete([done(a1, { kind: 'failed', error: 'flaky' })]);
    expect(await steps(shop)).toMatchObject({ a: 'ready/1' });
    expect(await engine().claim('w1', 5, LEASE)).toEqual([]);
    expect(await engine().nextAvailable()).toBe(new Date(T0.getTime() + 1000).toISOString());
    later(1000);
    const [a2] = await engine().claim('w1', 5, LEASE);
    expect(a2?.attempt).toBe(2);
    await engine().complete([done(a2 as ClaimedStep, { kind: 'failed', error: 'still broken' })]);
    expect((await t.services.runs.show(shop)).status).toBe('rolling_back');
    const [undo] = await engine().claim('w1', 5, LEASE);
    expect(undo?.phase).toBe('rollback');
    await engine().complete([done(undo as ClaimedStep)]);
    const run = await t.services.runs.show(shop);
    expect(run.status).toBe('rolled_back');
    expect(run.error).toBe('step a failed: still broken');
    expect(await actions(shop)).toEqual([
      'run.created',
      'run.started',
      'step.started',
      'step.retrying',
      'step.started',
      'step.failed',
      'run.rolling_back',
      'step.started',
      'step.succeeded',
      'run.rolled_back',
    ]);
    expect(await outbox(shop)).toEqual(['run.started', 'run.rolling_back', 'run.rolled_back']);
  });

  it('admits the next queued run when a run finishes, in the same batch that finishes it', async () => {
    const first = await promote('shop@1.0.0', 'prod');
    const second = await promote('api@1.0.0', 'prod');
    const third = await promote('shop@1.1.0', 'prod');
    expect((await t.services.runs.show(second)).status).toBe('queued');
    for (let i = 0; i < 2; i++) {
      const claimed = await engine().claim('w1', 5, LEASE);
      expect(claimed.map((c) => [c.runId, c.key])).toEqual([[first, i === 0 ? 'a' : 'b']]);
      await engine().complete(claimed.map((c) => done(c)));
    }
    expect((await t.services.runs.show(first)).status).toBe('succeeded');
    expect((await t.services.runs.show(second)).status).toBe('running');
    expect((await t.services.runs.show(third)).status).toBe('queued');
    const next = await engine().claim('w1', 5, LEASE);
    expect(next.map((c) => [c.runId, c.key])).toEqual([[second, 'a']]);
    const release = await t.services.database.db
      .selectFrom('releases as r')
      .innerJoin('products as p', 'p.id', 'r.product_id')
      .select('r.status')
      .where('p.key', '=', 'shop')
      .where('r.version', '=', '1.0.0')
      .executeTakeFirstOrThrow();
    expect(release.status).toBe('in_progress');
  });

  it('puts a run waiting for a person into awaiting, and a step of unknown outcome into needs_attention', async () => {
    const shop = await promote('shop@1.0.0', 'uat');
    const api = await promote('api@1.0.0', 'uat');
    const claimed = await engine().claim('w1', 5, LEASE);
    await engine().complete([done(claimOf(claimed, shop)), done(claimOf(claimed, api), { kind: 'unknown', error: 'cut off' })]);
    expect(await steps(shop)).toEqual({ a: 'succeeded/1', look: 'waiting/0' });
    expect((await t.services.runs.show(shop)).status).toBe('awaiting');
    expect(await steps(api)).toEqual({ a: 'needs_attention/1', look: 'pending/0' });
    expect((await t.services.runs.show(api)).status).toBe('needs_attention');
    expect(await outbox(shop)).toEqual(['run.started', 'run.awaiting']);
    expect(await outbox(api)).toEqual(['run.started', 'run.needs_attention']);
    expect(await actions(shop)).toEqual(['run.created', 'run.started', 'step.started', 'step.succeeded', 'step.waiting', 'run.awaiting']);
    await t.services.runs.confirm(shop, 'look', 'bob');
    expect((await t.services.runs.show(shop)).status).toBe('succeeded');
  });

  it('gives a released step back without counting the attempt', async () => {
    const shop = await promote('shop@1.0.0', 'staging');
    const [a] = await engine().claim('w1', 5, LEASE);
    await engine().complete([done(a as ClaimedStep, { kind: 'released' })]);
    expect(await steps(shop)).toMatchObject({ a: 'ready/0' });
    const [again] = await engine().claim('w2', 5, LEASE);
    expect(again).toMatchObject({ id: a?.id, attempt: 1, token: 2 });
  });

  it('completes and claims in one transaction: the dependent is handed back with its token, a stale completion still refused', async () => {
    const shop = await promote('shop@1.0.0', 'staging');
    const [a] = await engine().claim('w1', 5, LEASE);
    if (!a) throw new Error('nothing claimed');
    const stale = { ...a, token: a.token - 1 };
    const { refused, claimed } = await engine().completeAndClaim([done(stale), done(a)], { owner: 'w1', limit: 5, leaseMs: LEASE });
    expect(refused).toEqual([a.id]);
    expect(claimed.map((c) => [c.key, c.token, c.attempt])).toEqual([['b', 1, 1]]);
    expect(await steps(shop)).toMatchObject({ a: 'succeeded/1', b: 'running/1' });
    expect(await actions(shop)).toEqual(['run.created', 'run.started', 'step.started', 'step.succeeded', 'step.started']);
    const none = await engine().completeAndClaim([done(claimed[0] as ClaimedStep)], { owner: 'w1', limit: 0, leaseMs: LEASE });
    expect(none).toEqual({ refused: [], claimed: [] });
    expect((await t.services.runs.show(shop)).status).toBe('succeeded');
  });

  it('a worker takes many runs to the end without executing more steps at once than its concurrency, nor any twice', async () => {
    clock.set(new Date());
    const runs = [];
    for (const environment of ['staging', 'qa'])
      for (const product of ['shop', 'api']) runs.push(await promote(`${product}@1.0.0`, environment));
    let running = 0;
    let most = 0;
    const calls = new Map<string, number>();
    const worker = new PlanWorker(engine(), t.services.database.db, {
      concurrency: 2,
      execute: async (step) => {
        calls.set(step.id, (calls.get(step.id) ?? 0) + 1);
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 2));
        running--;
        return { kind: 'succeeded' };
      },
    });
    await worker.start();
    try {
      for (const id of runs) expect((await t.services.runs.waitFor(id, 20_000)).status).toBe('succeeded');
    } finally {
      await worker.stop();
    }
    expect(most).toBeLessThanOrEqual(2);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(calls.size).toBe(8);
    expect((await t.services.audit.verify()).ok).toBe(true);
  });
  it('a heartbeat meeting a step whose outcome is being recorded does not report the step lost', async () => {
    // On PostgreSQL a heartbeat's UPDATE waits for the row lock the recording transaction holds, then finds the
    // step no longer running. Here each batch is recorded, then handed back to the worker only after several
    // heartbeat intervals (a 150 ms lease: one every 50 ms), so heartbeats meet every recorded step that way.
    clock.set(new Date());
    const id = await promote('shop@1.0.0', 'staging');
    const real = engine();
    const slow: RunEngine = Object.create(real);
    slow.completeAndClaim = async (completions, next) => {
      const recorded = await real.completeAndClaim(completions, next);
      await new Promise((r) => setTimeout(r, 250));
      return recorded;
    };
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      lines.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    const worker = new PlanWorker(slow, t.services.database.db, { leaseMs: 150 });
    await worker.start();
    try {
      expect((await t.services.runs.waitFor(id, 20_000)).status).toBe('succeeded');
    } finally {
      await worker.stop();
      process.stderr.write = write;
    }
    expect(lines.filter((l) => l.includes(worker.id))).toEqual([]);
    const steps = await t.services.database.db
      .selectFrom('step_runs')
      .select(['key', 'attempt', 'lost_leases'])
      .where('run_id', '=', id)
      .execute();
    expect(steps.filter((s) => s.key !== 'tell').map((s) => [s.key, s.attempt, s.lost_leases])).toEqual([
      ['a', 1, 0],
      ['b', 1, 0],
    ]);
  });
});

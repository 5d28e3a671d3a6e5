import { sql, type Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, openPlanHarness, type PlanHarness } from '../../../test/support/plans.js';
import type { Db } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';
import { lockHead } from '../audit/audit-store.js';

/**
 * Lock order on PostgreSQL: runs, then steps (each in id order), then the audit chain's head, then environments
 * and releases. A completion locks its runs and its held steps, and takes the head only when it writes its
 * events (or before it locks an environment or a release). A writer that holds the head and then waits for a
 * step's row closes a cycle with a completion holding that row and waiting for the head; PostgreSQL breaks it by
 * failing one of them — or a promotion queued behind them for the head. With the head taken late, the run's row
 * is what keeps two transactions from moving one run on at once. SQLite has one writer at a time and none of
 * this, so this runs where RAILYARD_TEST_POSTGRES_URL names a server (CI sets it).
 */
const CONFIG = `plans:
  - key: pair
    steps:
      - { key: one, run: ["true"], idempotent: true }
      - { key: two, run: ["true"], idempotent: true }
  - key: fork
    steps:
      - { key: a, run: ["true"], idempotent: true }
      - { key: b, run: ["true"], idempotent: true }
      - { key: c, needs: [a, b], run: ["true"], idempotent: true }
environments:
  - { key: staging, tier: staging, plan: pair }
  - { key: forked, tier: staging, plan: fork }
  - { key: held, tier: staging, plan: pair }
products:
  - key: shop
`;

/**
 * A transaction that has locked a row (`lock`) and, once released, takes the audit head and commits: resolves
 * when the row is held; `outcome` is 'committed' or the error that ended the transaction.
 */
async function rowThenHead(db: Db, lock: (trx: Transaction<Database>) => Promise<unknown>) {
  let release: () => void = () => {};
  const proceed = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    holding = resolve;
  });
  const outcome = db
    .transaction()
    .execute(async (trx) => {
      await lock(trx);
      holding();
      await proceed;
      await lockHead(trx);
      return 'committed';
    })
    .catch((error: Error) => error.message);
  await held;
  return { outcome, release };
}

describe.runIf(process.env.RAILYARD_TEST_POSTGRES_URL)('engine lock order (postgres)', () => {
  let h: PlanHarness;

  beforeAll(async () => {
    h = await openPlanHarness('postgres', CONFIG);
  });
  afterAll(async () => h?.close());

  it('reaping several expired leases waits for a step held by a completion without holding the audit head', async () => {
    await h.release('shop@1.0.0');
    const run = await h.promote('shop@1.0.0', 'staging');
    const claimed = await eventually(async () => {
      const steps = await h.s.engine.claim('ghost', 2, 60_000);
      return steps.length === 2 && steps;
    }, 'both steps to be claimed');
    const [first, second] = claimed.sort((a, b) => (a.key < b.key ? -1 : 1));
    if (!first || !second) throw new Error('expected two claimed steps');
    const db = h.s.database.db;
    // Both leases ran out, `one` first: the reaper takes them in that order.
    await db.updateTable('step_runs').set({ lease_expires_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', first.id).execute();
    await db.updateTable('step_runs').set({ lease_expires_at: '2000-01-01T00:00:01.000Z' }).where('id', '=', second.id).execute();

    // A completion of `two` has taken its row and is about to record its event (the audit head).
    const { outcome: completion, release } = await rowThenHead(db, (trx) =>
      trx.selectFrom('step_runs').select('id').where('id', '=', second.id).forUpdate().execute(),
    );

    const reaping = h.s.engine.reapExpired().catch((error: Error) => error.message);
    // The reaper is blocked on `two`'s row (whatever it holds besides) before the completion asks for the head.
    await eventually(async () => {
      const waiting = await sql<{ n: string }>`
        select count(*) as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`.execute(db);
      return Number(waiting.rows[0]?.n) > 0;
    }, 'the reaper to wait for the held step');
    release();

    // Neither fails with "deadlock detected": the completion commits, then the reaper takes both steps over.
    expect(await completion).toBe('committed');
    expect(await reaping).toBe(2);
    const steps = await db
      .selectFrom('step_runs')
      .select(['key', 'status', 'lost_leases'])
      .where('run_id', '=', run.id)
      .orderBy('key')
      .execute();
    expect(steps).toEqual([
      { key: 'one', status: 'ready', lost_leases: 1 },
      { key: 'two', status: 'ready', lost_leases: 1 },
    ]);
    expect((await h.s.audit.verify()).ok).toBe(true);
  });

  it('two transactions completing the two needs of one step at the same moment leave it claimable', async () => {
    // Each completion reads the run's steps after writing its own outcome. Were both to read before the other
    // committed, each would see the other need still running and neither would start `c`: the run would hang.
    const runs = 15;
    for (let i = 0; i < runs; i++) {
      await h.release(`shop@2.0.${i}`);
      const run = await h.promote(`shop@2.0.${i}`, 'forked');
      const claimed = await eventually(async () => {
        const steps = (await h.s.engine.claim(`ghost-${i}`, 2, 60_000)).filter((c) => c.runId === run.id);
        return steps.length === 2 && steps;
      }, 'a and b to be claimed');
      await Promise.all(claimed.map((step) => h.s.engine.complete([{ step, outcome: { kind: 'succeeded' }, logs: [] }])));
      const c = await h.s.database.db
        .selectFrom('step_runs')
        .select(['key', 'status'])
        .where('run_id', '=', run.id)
        .where('key', '=', 'c')
        .executeTakeFirstOrThrow();
      expect(c, `run ${i + 1} of ${runs}`).toEqual({ key: 'c', status: 'ready' });
      const [last] = await h.s.engine.claim(`ghost-${i}`, 1, 60_000);
      if (!last) throw new Error('c was not claimable');
      await h.s.engine.complete([{ step: last, outcome: { kind: 'succeeded' }, logs: [] }]);
      expect((await h.finished(run.id)).status).toBe('succeeded');
    }
    expect((await h.s.audit.verify()).ok).toBe(true);
  });

  it('admission passes over a queued run another transaction holds instead of waiting for it with the head', async () => {
    await h.release('shop@3.0.0');
    const run = await h.promote('shop@3.0.0', 'held');
    const db = h.s.database.db;
    // A cancel of the queued run: it has locked the run and will take the audit head to record its event.
    const { outcome: cancelling, release } = await rowThenHead(db, (trx) =>
      trx.selectFrom('runs').select('id').where('id', '=', run.id).forNoKeyUpdate().execute(),
    );

    // A worker admits into the environment meanwhile (holding the head and the environment): it passes the run
    // over rather than wait for it — waiting would close a cycle with the cancel as soon as it asks for the head.
    const admitting = h.s.engine
      .claim('worker', 2, 60_000)
      .then((claimed) => claimed.filter((c) => c.runId === run.id).length)
      .catch((error: Error) => error.message);
    const admitted = await Promise.race([admitting, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3_000))]);
    release();
    expect(admitted).toBe(0);
    expect(await cancelling).toBe('committed');

    // Once the other transaction is done, the next admission starts the run.
    expect((await h.s.runs.show(run.id)).status).toBe('queued');
    const claimed = await h.s.engine.claim('worker', 4, 60_000);
    expect(
      claimed
        .filter((c) => c.runId === run.id)
        .map((c) => c.key)
        .sort(),
    ).toEqual(['one', 'two']);
    expect((await h.s.audit.verify()).ok).toBe(true);
  });
});

import { ACTIVE_RUN_STATUSES, FINAL_RUN_STATUSES } from '../../src/features/plans/plan.js';
import type { Run } from '../../src/features/plans/run.js';
import type { Services } from '../../src/platform/container.js';
import type { Db } from '../../src/platform/db/database.js';

interface Sampler {
  stop(): Promise<{ samples: number; maxPerProduct: number; maxInEnvironment: number }>;
}

/**
 * Reads the active runs of an environment again and again while the runs execute. Give it a connection of its
 * own (on SQLite, the engine's connection is held for whole transactions and would starve it).
 */
export function sampleActiveRuns(db: Db, environment: string): Sampler {
  let running = true;
  let samples = 0;
  let maxPerProduct = 0;
  let maxInEnvironment = 0;
  const loop = (async () => {
    while (running) {
      const active = await db
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
      await new Promise((r) => setTimeout(r, 5));
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
export async function startOrder(s: Services, ids: Set<string>): Promise<string[]> {
  const events = await s.database.db
    .selectFrom('audit_events')
    .select(['subject_id', 'seq'])
    .where('action', '=', 'run.started')
    .orderBy('seq')
    .execute();
  return events.map((e) => e.subject_id).filter((id) => ids.has(id));
}

export async function allFinished(s: Services, runs: Run[], timeoutMs: number): Promise<Run[]> {
  const ids = runs.map((r) => r.id);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await s.database.db
      .selectFrom('runs')
      .select('id')
      .where('id', 'in', ids)
      .where('status', 'not in', [...FINAL_RUN_STATUSES])
      .execute();
    if (open.length === 0) break;
    if (Date.now() > deadline) throw new Error(`${open.length} of ${ids.length} runs still open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const all = await s.runs.list({ limit: 1000 });
  return all.filter((r) => ids.includes(r.id));
}

/** The most runs active at one moment, from their [startedAt, finishedAt) intervals (a run may start the instant another ends). */
export function maxOverlap(runs: readonly Run[], sameGroup: (a: Run, b: Run) => boolean = () => true): number {
  let max = 0;
  for (const r of runs) {
    const start = Date.parse(r.startedAt ?? '');
    const during = runs.filter((o) => sameGroup(r, o) && Date.parse(o.startedAt ?? '') <= start && start < Date.parse(o.finishedAt ?? ''));
    max = Math.max(max, during.length);
  }
  return max;
}

/**
 * The most runs that were active at once, per environment and per product within an environment, replayed
 * from the audit chain: `run.started` opens a run's slot and its final event closes it. The chain's order is the
 * order the transactions committed in, whichever process wrote them, so no clock is trusted.
 */
export async function auditedOverlap(db: Db): Promise<{ perEnvironment: Map<string, number>; perProduct: number; startedTwice: string[] }> {
  const runs = new Map((await db.selectFrom('runs').select(['id', 'environment', 'product']).execute()).map((r) => [r.id, r] as const));
  const finals = FINAL_RUN_STATUSES.map((s) => `run.${s}`);
  const events = await db
    .selectFrom('audit_events')
    .select(['action', 'subject_id'])
    .where('action', 'in', ['run.started', ...finals])
    .orderBy('seq')
    .execute();
  const active = new Map<string, Set<string>>();
  const perEnvironment = new Map<string, number>();
  let perProduct = 0;
  const started = new Set<string>();
  const startedTwice: string[] = [];
  for (const e of events) {
    const run = runs.get(e.subject_id);
    if (!run) throw new Error(`audit event ${e.action} names run ${e.subject_id}, which does not exist`);
    const inEnvironment = active.get(run.environment) ?? new Set<string>();
    active.set(run.environment, inEnvironment);
    if (e.action !== 'run.started') {
      inEnvironment.delete(run.id);
      continue;
    }
    if (started.has(run.id)) startedTwice.push(run.id);
    started.add(run.id);
    inEnvironment.add(run.id);
    perEnvironment.set(run.environment, Math.max(perEnvironment.get(run.environment) ?? 0, inEnvironment.size));
    const sameProduct = [...inEnvironment].filter((id) => runs.get(id)?.product === run.product).length;
    perProduct = Math.max(perProduct, sameProduct);
  }
  return { perEnvironment, perProduct, startedTwice };
}

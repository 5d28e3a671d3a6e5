import { performance } from 'node:perf_hooks';
import type { ClaimedStep, StepOutcome } from '../../src/features/plans/engine-service.js';
import { FINAL_RUN_STATUSES } from '../../src/features/plans/plan.js';
import { type ExecutionContext, executeStep } from '../../src/features/plans/step-executor.js';
import type { Services } from '../../src/platform/container.js';
import type { Db } from '../../src/platform/db/database.js';

export const STEPS = 5;
export const LOAD_ENVIRONMENTS = 10;
export const LOAD_PRODUCTS = 100;

export function envKey(i: number): string {
  return `b${String(i).padStart(2, '0')}`;
}

export function productKey(i: number): string {
  return `p${String(i).padStart(3, '0')}`;
}

/**
 * railyard.yaml for the plans benchmarks: one plan of STEPS no-op steps in a chain (`wait: PT0S`, each needing the
 * one before), an environment `lat` for the latency runs (one product, `lat`), and LOAD_ENVIRONMENTS environments
 * with concurrency 100 for LOAD_PRODUCTS products — one active promotion per product and environment, so up to
 * LOAD_ENVIRONMENTS × LOAD_PRODUCTS runs at once.
 * With `ledgerUrl`, the latency runs follow a second plan, `effects`: the same chain of STEPS `http` steps, each
 * a POST of the step's idempotency key to the effects ledger there (so that another process's steps can be timed
 * and counted from outside).
 */
export function plansConfig(options: { ledgerUrl?: string } = {}): string {
  const chain = (i: number) => (i === 0 ? '' : `, needs: [s${i}]`);
  const steps = Array.from({ length: STEPS }, (_, i) => `      - { key: s${i + 1}, wait: PT0S${chain(i)} }`);
  const effects = options.ledgerUrl
    ? [
        '  - key: effects',
        '    steps:',
        ...Array.from(
          { length: STEPS },
          (_, i) =>
            `      - { key: s${i + 1}${chain(i)}, idempotent: true, http: { method: POST, url: "${options.ledgerUrl}/effect?attempt=$\{RAILYARD_ATTEMPT}", headers: { idempotency-key: "$\{RAILYARD_IDEMPOTENCY_KEY}" } } }`,
        ),
      ]
    : [];
  const envs = Array.from(
    { length: LOAD_ENVIRONMENTS },
    (_, i) => `  - { key: ${envKey(i)}, tier: staging, concurrency: 100, plan: chain }`,
  );
  const products = Array.from({ length: LOAD_PRODUCTS }, (_, i) => `  - { key: ${productKey(i)} }`);
  return [
    'plans:',
    '  - key: chain',
    '    steps:',
    ...steps,
    ...effects,
    'environments:',
    `  - { key: lat, tier: staging, plan: ${options.ledgerUrl ? 'effects' : 'chain'} }`,
    ...envs,
    'products:',
    '  - { key: lat }',
    ...products,
    '',
  ].join('\n');
}

/** Releases for the runs: `lat@1.0.<i>` for each latency run, and `<product>@1.0.0` for every load product. */
export async function seedReleases(services: Services, latencyRuns: number): Promise<void> {
  for (let i = 0; i < latencyRuns; i++) await services.releases.create({ product: 'lat', version: `1.0.${i}` }, 'bench');
  for (let p = 0; p < LOAD_PRODUCTS; p++) await services.releases.create({ product: productKey(p), version: '1.0.0' }, 'bench');
}

/**
 * Promotes `count` (at most LOAD_ENVIRONMENTS × LOAD_PRODUCTS) load runs through RunService.promote, gates and
 * calendar checked, product by product across the load environments. Returns their ids and the time it took.
 */
export async function promoteLoad(services: Services, count = LOAD_ENVIRONMENTS * LOAD_PRODUCTS): Promise<{ runs: string[]; ms: number }> {
  if (count > LOAD_ENVIRONMENTS * LOAD_PRODUCTS)
    throw new Error(`at most ${LOAD_ENVIRONMENTS * LOAD_PRODUCTS} load runs (asked for ${count})`);
  const started = performance.now();
  const runs: string[] = [];
  for (let p = 0; p < LOAD_PRODUCTS && runs.length < count; p++) {
    for (let e = 0; e < LOAD_ENVIRONMENTS && runs.length < count; e++) {
      runs.push((await services.runs.promote({ release: `${productKey(p)}@1.0.0`, environment: envKey(e) }, 'bench')).id);
    }
  }
  return { runs, ms: performance.now() - started };
}

/** How the load runs (every environment but `lat`) ended: runs per status, steps retried, the last step's end. */
export async function loadOutcome(db: Db) {
  const statuses = await db
    .selectFrom('runs')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('environment', '!=', 'lat')
    .groupBy('status')
    .execute();
  const retried = await db
    .selectFrom('step_runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('attempt', '!=', 1)
    .executeTakeFirstOrThrow();
  const end = await db
    .selectFrom('runs')
    .select((eb) => eb.fn.max('finished_at').as('at'))
    .where('environment', '!=', 'lat')
    .executeTakeFirstOrThrow();
  return {
    statuses: statuses.map((s) => ({ status: s.status, n: Number(s.n) })),
    succeeded: Number(statuses.find((s) => s.status === 'succeeded')?.n ?? 0),
    retried: Number(retried.n),
    lastFinished: Date.parse(end.at as string),
  };
}

/** Load runs not yet final. */
export async function openLoadRuns(db: Db): Promise<number> {
  const open = await db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('environment', '!=', 'lat')
    .where('status', 'not in', FINAL_RUN_STATUSES)
    .executeTakeFirstOrThrow();
  return Number(open.n);
}

/** finished_at of each step → started_at of the step that needs it, from the database (millisecond timestamps). */
export async function databaseGaps(db: Db, runIds: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runIds.length; i += 500) {
    const rows = await db
      .selectFrom('step_runs')
      .select(['run_id', 'key', 'started_at', 'finished_at'])
      .where('run_id', 'in', runIds.slice(i, i + 500))
      .execute();
    const by = new Map(rows.map((r) => [`${r.run_id}/${r.key}`, r]));
    for (const run of runIds.slice(i, i + 500)) {
      for (let k = 2; k <= STEPS; k++) {
        const finished = by.get(`${run}/s${k - 1}`)?.finished_at;
        const started = by.get(`${run}/s${k}`)?.started_at;
        if (finished && started) out.push(Date.parse(started) - Date.parse(finished));
      }
    }
  }
  return out;
}

interface Mark {
  start: number;
  end: number;
}

/**
 * Wraps the real step executor (`executeStep`: a `wait: PT0S` step returns success at once) and notes, per step,
 * when its attempt started and ended (performance.now()), and how often each step was executed.
 */
export class StepClock {
  readonly marks = new Map<string, Mark>();
  readonly calls = new Map<string, number>();
  private readonly ended: ((runId: string, key: string) => void)[] = [];

  readonly execute = async (step: ClaimedStep, ctx: ExecutionContext): Promise<StepOutcome> => {
    const mark: Mark = { start: performance.now(), end: Number.NaN };
    this.marks.set(`${step.runId}/${step.key}`, mark);
    this.calls.set(step.id, (this.calls.get(step.id) ?? 0) + 1);
    const outcome = await executeStep(step, ctx);
    mark.end = performance.now();
    for (const f of this.ended) f(step.runId, step.key);
    return outcome;
  };

  onEnded(f: (runId: string, key: string) => void): void {
    this.ended.push(f);
  }

  /**
   * For each step after the first of each run: from the end of the attempt of the step it needs to the start of
   * its own attempt, in ms. It spans the completion's transaction and commit, the wake-up, and the claim's
   * transaction and commit: what a no-op step costs on the critical path of a run.
   */
  gaps(runIds: readonly string[]): number[] {
    const out: number[] = [];
    for (const run of runIds) {
      for (let i = 2; i <= STEPS; i++) {
        const before = this.marks.get(`${run}/s${i - 1}`);
        const after = this.marks.get(`${run}/s${i}`);
        if (before && after) out.push(after.start - before.end);
      }
    }
    return out;
  }

  doubleExecutions(): number {
    let n = 0;
    for (const c of this.calls.values()) if (c > 1) n++;
    return n;
  }
}

/** Counts the lines the worker writes to stderr (each is an error it survived: a failed claim, a lost batch). */
export function countWorkerErrors(): { count(): number; restore(): void } {
  const write = process.stderr.write.bind(process.stderr);
  let n = 0;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (String(chunk).startsWith('worker ')) n++;
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  return {
    count: () => n,
    restore: () => {
      process.stderr.write = write;
    },
  };
}

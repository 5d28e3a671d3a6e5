import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { FINAL_RUN_STATUSES } from '../src/features/plans/plan.js';
import { createWorker } from '../src/features/plans/worker-service.js';
import { startServices } from '../src/platform/container.js';
import {
  countWorkerErrors,
  databaseGaps,
  LOAD_ENVIRONMENTS,
  LOAD_PRODUCTS,
  loadOutcome,
  openLoadRuns,
  plansConfig,
  promoteLoad,
  STEPS,
  StepClock,
  seedReleases,
} from './lib/plans-workload.js';
import { type Benchmark, loadAverage, log, type Row } from './lib/report.js';
import { removeDatabase, tempDir } from './lib/seed.js';
import { CommitProbe, sqliteCycles } from './lib/sqlite-anchor.js';
import { ms, percentile, percentiles } from './lib/stats.js';

const TRANSITIONS_TARGET = 900;
const GAP_P50_TARGET_MS = 3;
const GAP_P99_TARGET_MS = 15;
const LOAD_RUNS = LOAD_ENVIRONMENTS * LOAD_PRODUCTS;
const LATENCY_RUNS = 200;
const WARM_UP_RUNS = 20;
const ANCHOR_SECONDS = 3;

type Services = Awaited<ReturnType<typeof startServices>>;

const FINAL: readonly string[] = FINAL_RUN_STATUSES;

/**
 * Resolves when a run is final. A run's status is read only after its last step's attempt ended (so the
 * benchmark adds no queries while steps are moving), on the run-change event its completion emits.
 */
function finishes(services: Services, clock: StepClock) {
  const lastEnded = new Set<string>();
  const final = new Map<string, string>();
  const waiting = new Map<string, (status: string) => void>();
  clock.onEnded((runId, key) => key === `s${STEPS}` && lastEnded.add(runId));
  const off = services.engine.onRunChange((runId) => {
    if (!lastEnded.has(runId) || final.has(runId)) return;
    void services.database.db
      .selectFrom('runs')
      .select('status')
      .where('id', '=', runId)
      .executeTakeFirstOrThrow()
      .then(({ status }) => {
        if (!FINAL.includes(status) || final.has(runId)) return;
        final.set(runId, status);
        waiting.get(runId)?.(status);
      });
  });
  return {
    wait: (runId: string) =>
      new Promise<string>((resolve) => (final.has(runId) ? resolve(final.get(runId) as string) : waiting.set(runId, resolve))),
    off,
  };
}

/** One run at a time through an idle engine: the critical path from a step finishing to its dependent starting. */
async function latency(services: Services, clock: StepClock, wait: (runId: string) => Promise<string>) {
  const worker = createWorker(services, { execute: clock.execute });
  await worker.start();
  const runs: string[] = [];
  const firstStart: number[] = [];
  const commits: number[] = [];
  const probe = new CommitProbe(`${tempDir()}/plans-probe-${process.pid}.db`);
  let failed = 0;
  try {
    for (let i = 0; i < WARM_UP_RUNS + LATENCY_RUNS; i++) {
      const run = await services.runs.promote({ release: `lat@1.0.${i}`, environment: 'lat' }, 'bench');
      const promoted = performance.now();
      if ((await wait(run.id)) !== 'succeeded') failed++;
      if (i < WARM_UP_RUNS) continue;
      runs.push(run.id);
      firstStart.push((clock.marks.get(`${run.id}/s1`)?.start ?? Number.NaN) - promoted);
      // What one durable commit costs right now, between runs: each gap below contains one.
      commits.push(probe.sample());
    }
  } finally {
    probe.close();
    await worker.stop();
  }
  return { runs, firstStart, commits, failed };
}

/** LOAD_RUNS runs promoted with no worker running, then one worker takes them all to the end. */
async function load(services: Services, clock: StepClock) {
  const { runs, ms: promoteMs } = await promoteLoad(services);
  const db = services.database.db;
  const running = await db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'running')
    .executeTakeFirst();
  log(`plans: ${runs.length} runs promoted in ${ms(promoteMs)}; ${running?.n} running at once before the worker starts`);
  const worker = createWorker(services, { execute: clock.execute });
  const startedAt = Date.now();
  await worker.start();
  const deadline = Date.now() + 600_000;
  while ((await openLoadRuns(db)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await worker.stop();
  const outcome = await loadOutcome(db);
  return { runs, promoteMs, elapsedMs: outcome.lastFinished - startedAt, ...outcome };
}

async function railyard(): Promise<Row[]> {
  const file = `${tempDir()}/plans-bench-${process.pid}.db`;
  removeDatabase(file);
  const services = await startServices(file);
  const workerErrors = countWorkerErrors();
  try {
    await services.config.apply(plansConfig(), 'railyard.yaml', { dryRun: false }, 'bench');
    await seedReleases(services, WARM_UP_RUNS + LATENCY_RUNS);
    const clock = new StepClock();
    const finished = finishes(services, clock);

    const lat = await latency(services, clock, finished.wait);
    const latGaps = clock.gaps(lat.runs);
    const latDbGaps = await databaseGaps(services.database.db, lat.runs);
    log(`plans: latency runs done (${lat.failed} not succeeded); ${loadAverage()}`);

    const heavy = await load(services, clock);
    finished.off();
    const steps = heavy.runs.length * STEPS;
    const perSecond = steps / (heavy.elapsedMs / 1000);
    const succeeded = heavy.succeeded;
    const loadGaps = clock.gaps(heavy.runs);
    const events = await services.database.db.selectFrom('audit_head').select('seq').executeTakeFirstOrThrow();
    const chain = await services.audit.verify();
    const errors =
      heavy.runs.length - succeeded + lat.failed + workerErrors.count() + clock.doubleExecutions() + heavy.retried + (chain.ok ? 0 : 1);
    log(
      `plans: ${steps} steps in ${ms(heavy.elapsedMs)}; statuses ${heavy.statuses.map((s) => `${s.status} ${s.n}`).join(', ')}; ` +
        `${workerErrors.count()} worker errors, ${clock.doubleExecutions()} steps executed twice, ${heavy.retried} steps with attempt ≠ 1; ` +
        `audit chain ${chain.ok ? 'intact' : 'BROKEN'} (${events.seq} events)`,
    );
    return [
      {
        benchmark: 'plans',
        case: `Railyard step transitions/s, ${LOAD_RUNS.toLocaleString('en-US')} runs × ${STEPS} no-op steps (wait: PT0S), one worker`,
        result: `${perSecond.toFixed(0)}/s (${steps.toLocaleString('en-US')} steps in ${ms(heavy.elapsedMs)})`,
        target: `≥ ${TRANSITIONS_TARGET}/s`,
        pass: perSecond >= TRANSITIONS_TARGET,
      },
      {
        benchmark: 'plans',
        case: `step end → dependent start, one run at a time (${LATENCY_RUNS} runs, ${latGaps.length} gaps; measured in-process)`,
        result: percentiles(latGaps),
        target: `p50 ≤ ${GAP_P50_TARGET_MS} ms, p99 ≤ ${GAP_P99_TARGET_MS} ms`,
        pass: percentile(latGaps, 50) <= GAP_P50_TARGET_MS && percentile(latGaps, 99) <= GAP_P99_TARGET_MS,
      },
      {
        benchmark: 'plans',
        case: 'one durable commit on the same disk, sampled between those runs (each gap above contains one)',
        result: percentiles(lat.commits),
        target: '',
      },
      {
        benchmark: 'plans',
        case: 'the same gaps from the database: finished_at → started_at (ms timestamps)',
        result: percentiles(latDbGaps),
        target: '',
      },
      {
        benchmark: 'plans',
        case: 'promote committed → first step started, one run at a time',
        result: percentiles(lat.firstStart),
        target: '',
      },
      {
        benchmark: 'plans',
        case: `${LOAD_RUNS.toLocaleString('en-US')} concurrent ${STEPS}-step runs complete (${LOAD_ENVIRONMENTS} environments × ${LOAD_PRODUCTS} products)`,
        result: `all final in ${ms(heavy.elapsedMs)}; ${succeeded} succeeded; errors ${errors}`,
        target: 'errors = 0',
        pass: errors === 0 && succeeded === heavy.runs.length,
      },
      {
        benchmark: 'plans',
        case: `step end → dependent start under that load (${loadGaps.length} gaps)`,
        result: percentiles(loadGaps),
        target: '',
      },
      {
        benchmark: 'plans',
        case: `promote ${LOAD_RUNS.toLocaleString('en-US')} runs (RunService.promote, gates and calendar checked)`,
        result: `${ms(heavy.promoteMs)} (${(LOAD_RUNS / (heavy.promoteMs / 1000)).toFixed(0)}/s)`,
        target: '',
      },
    ];
  } finally {
    workerErrors.restore();
    await services.close();
    removeDatabase(file);
  }
}

function anchor(when: string): Row {
  const a = sqliteCycles(`${tempDir()}/plans-anchor-${process.pid}.db`, ANCHOR_SECONDS);
  log(`plans: raw SQLite ${when}: ${a.perSecond.toFixed(0)} cycles/s; ${loadAverage()}`);
  return {
    benchmark: 'plans',
    case: `raw SQLite claim+complete cycles/s (WAL, synchronous=FULL, 2 commits), ${when}`,
    result: `${a.perSecond.toFixed(0)}/s (${a.cycles.toLocaleString('en-US')} cycles in ${ANCHOR_SECONDS} s); one commit (the completing UPDATE) ${percentiles(a.commitMs)}`,
    target: '',
  };
}

export const plans: Benchmark = {
  name: 'plans',
  description: `no-op step transitions ≥ ${TRANSITIONS_TARGET}/s on SQLite beside the raw SQLite cycle rate; step end → dependent start p50 ≤ ${GAP_P50_TARGET_MS} ms, p99 ≤ ${GAP_P99_TARGET_MS} ms; ${LOAD_RUNS} concurrent ${STEPS}-step runs without errors`,
  async run() {
    log(`plans: ${availableParallelism()} CPUs, ${loadAverage()}`);
    const before = anchor('before Railyard');
    const rows = await railyard();
    const after = anchor('after Railyard');
    const machineRow: Row = {
      benchmark: 'plans',
      case: 'machine',
      result: `${availableParallelism()} CPUs, ${loadAverage()} (at the end)`,
      target: '',
    };
    return [before, after, ...rows, machineRow];
  },
};

import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Logger, makeWorkerUtils, runMigrations, type WorkerUtils } from 'graphile-worker';
import { sql } from 'kysely';
import { FINAL_RUN_STATUSES } from '../src/features/plans/plan.js';
import { type Services, startServices } from '../src/platform/container.js';
import { startWorkerProcess, type WorkerProcess } from '../test/support/cli.js';
import { type Ledger, type LedgerCall, startLedger } from '../test/support/plans.js';
import { ensureBuilt, ROOT } from './lib/cli.js';
import type { GraphileChildReport, GraphileChildSettings } from './lib/graphile-worker-process.js';
import {
  LOAD_ENVIRONMENTS,
  LOAD_PRODUCTS,
  loadOutcome,
  openLoadRuns,
  plansConfig,
  promoteLoad,
  STEPS,
  seedReleases,
} from './lib/plans-workload.js';
import { adminQuery, benchPostgresUrl, createDatabase, databaseName, describeActivity, sampleActivity } from './lib/postgres.js';
import { type Benchmark, loadAverage, log, type Row } from './lib/report.js';
import { ms, percentile } from './lib/stats.js';

/**
 * Railyard and graphile-worker 0.17.3 side by side on the same PostgreSQL, with 1, 2 and 4 worker processes:
 *
 * - throughput: BENCH_PG_RUNS runs × STEPS no-op steps (`wait: PT0S`, each needing the one before) for Railyard,
 *   BENCH_PG_JOBS no-op jobs for graphile-worker, all enqueued while the worker processes are paused (SIGSTOP) and
 *   then worked off at once (SIGCONT): steps (jobs) per second from the resume to the last one's end;
 * - latency, one at a time on idle workers: a step's end → its dependent's start, and enqueue committed → first
 *   step start (graphile-worker: addJob committed → job start). Here every step (job) POSTs its idempotency key
 *   to an effects ledger in this process, which notes when each call arrives and when it was answered;
 * - double executions: the ledger's repeated keys, steps claimed more than once (the audit trail's step.started
 *   events), and graphile-worker job ids that ran more than once (each worker process lists the jobs it ran).
 *
 * Each system and each worker count gets a fresh database. Both run CONCURRENCY jobs at once per process on a
 * pool of POOL connections; graphile-worker runs with its defaults (`plain`) and with its batching (`batched`).
 *
 * Knobs (environment): BENCH_PG_WORKERS (default 1,2,4), BENCH_PG_RUNS (Railyard load runs, default 300, at most
 * 1,000), BENCH_PG_JOBS (graphile-worker load jobs, default 3000), BENCH_PG_LATENCY_RUNS (default 40; graphile-worker
 * gets STEPS times as many jobs), BENCH_PG_GRAPHILE (default plain,batched).
 */
function whole(name: string, fallback: number, most = Number.POSITIVE_INFINITY): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > most) {
    throw new Error(`${name} must be a whole number from 1${Number.isFinite(most) ? ` to ${most}` : ''} (got "${raw}")`);
  }
  return n;
}

/** The knobs, read when the benchmark runs (a bad value fails this benchmark only, naming the variable). */
function settings() {
  const workers = (process.env.BENCH_PG_WORKERS || '1,2,4').split(',').map((w) => {
    const n = Number(w.trim());
    if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_PG_WORKERS must list whole numbers from 1, e.g. 1,2,4 (got "${w}")`);
    return n;
  });
  const names = (process.env.BENCH_PG_GRAPHILE || 'plain,batched').split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !GRAPHILE_MODES.some((m) => m.name === n));
  if (unknown.length > 0) {
    throw new Error(`BENCH_PG_GRAPHILE: no mode ${unknown.join(', ')} (have: ${GRAPHILE_MODES.map((m) => m.name).join(', ')})`);
  }
  return {
    workers,
    modes: GRAPHILE_MODES.filter((m) => names.includes(m.name)),
    /** Railyard load runs (one per load product and environment at most). */
    loadRuns: whole('BENCH_PG_RUNS', 300, LOAD_ENVIRONMENTS * LOAD_PRODUCTS),
    loadJobs: whole('BENCH_PG_JOBS', 3000),
    latencyRuns: whole('BENCH_PG_LATENCY_RUNS', 40),
  };
}
type Settings = ReturnType<typeof settings>;

const WARM_UP_RUNS = 5;
const CONCURRENCY = 16;
const POOL = 10;
const DEADLINE_MS = 600_000;

/** graphile-worker's settings: its defaults (one job fetched and completed per query), and with its batching on. */
const GRAPHILE_MODES = [
  { name: 'plain', localQueueSize: -1, completeJobBatchDelay: -1 },
  { name: 'batched', localQueueSize: CONCURRENCY, completeJobBatchDelay: 0 },
] as const;
type GraphileMode = (typeof GRAPHILE_MODES)[number];

interface Measured {
  perSecond: number;
  units: number;
  elapsedMs: number;
  /** Step end → dependent start (Railyard only). */
  gaps: number[];
  /** Enqueue committed → first step (job) start. */
  firstStart: number[];
  doubles: number;
  errors: number;
  detail: string;
  /** What the database's connections were doing during the throughput run (pg_stat_activity, sampled). */
  activity: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(probe: () => Promise<boolean>, what: string, pollMs: number, timeoutMs = DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms(timeoutMs)} waiting for ${what}`);
    await sleep(pollMs);
  }
}

/**
 * Continues the paused worker processes and waits until `done` (failing if one of them exits), sampling what
 * the database's connections waited on meanwhile. `resumed` is when they were continued (epoch ms).
 */
async function resumeUntil(
  admin: string,
  databaseUrl: string,
  workers: readonly { process: ChildProcess; output(): string }[],
  who: string,
  what: string,
  done: () => Promise<boolean>,
): Promise<{ resumed: number; activity: string }> {
  const sampler = await sampleActivity(admin, databaseName(databaseUrl));
  const resumed = Date.now();
  for (const w of workers) w.process.kill('SIGCONT');
  await until(
    async () => {
      const gone = workers.find((w) => w.process.exitCode !== null || w.process.signalCode !== null);
      if (gone) throw new Error(`${who} exited during the load:\n${gone.output()}`);
      return done();
    },
    what,
    100,
  );
  return { resumed, activity: describeActivity(await sampler.stop()) };
}

/** Resolves with a key's first ledger call once it has been answered. */
class LedgerWaits {
  private readonly answered = new Map<string, LedgerCall>();
  private readonly waiting = new Map<string, (call: LedgerCall) => void>();

  readonly onCall = (key: string, call: LedgerCall): void => {
    if (this.answered.has(key)) return;
    this.answered.set(key, call);
    this.waiting.get(key)?.(call);
  };

  wait(key: string, timeoutMs = 60_000): Promise<LedgerCall> {
    const first = this.answered.get(key);
    if (first) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no call for ${key} reached the ledger within ${ms(timeoutMs)}`));
      }, timeoutMs);
      this.waiting.set(key, (call) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(call);
      });
    });
  }
}

/** Calls beyond the first, summed over the ledger's keys that `keys` accepts. */
function repeats(ledger: Ledger, keys: (key: string) => boolean): number {
  let n = 0;
  for (const [key, entry] of ledger.entries) if (keys(key)) n += entry.calls.length - 1;
  return n;
}

// ---- Railyard ----

async function railyard(admin: string, workers: number, cfg: Settings, ledger: Ledger, waits: LedgerWaits): Promise<Measured> {
  const database = await createDatabase(admin, 'railyard_bench');
  let services: Services | undefined;
  const procs: WorkerProcess[] = [];
  try {
    services = await startServices(database.url);
    const db = services.database.db;
    await services.config.apply(plansConfig({ ledgerUrl: ledger.url }), 'railyard.yaml', { dryRun: false }, 'bench');
    await seedReleases(services, WARM_UP_RUNS + cfg.latencyRuns);
    for (let i = 0; i < workers; i++) {
      procs.push(await startWorkerProcess(database.url, ['--concurrency', String(CONCURRENCY), '--grace', '5s'], ROOT));
    }

    // Latency: one run at a time on idle workers, its steps POSTing to the ledger.
    const gaps: number[] = [];
    const firstStart: number[] = [];
    const latencyRuns: string[] = [];
    let notSucceeded = 0;
    for (let i = 0; i < WARM_UP_RUNS + cfg.latencyRuns; i++) {
      const run = await services.runs.promote({ release: `lat@1.0.${i}`, environment: 'lat' }, 'bench');
      const promoted = performance.now();
      const calls = [];
      for (let k = 1; k <= STEPS; k++) calls.push(await waits.wait(`${run.id}:deploy:s${k}`));
      let status = '';
      await until(
        async () => {
          status = (await db.selectFrom('runs').select('status').where('id', '=', run.id).executeTakeFirstOrThrow()).status;
          return (FINAL_RUN_STATUSES as readonly string[]).includes(status);
        },
        `run ${run.id} to finish`,
        5,
        60_000,
      );
      if (status !== 'succeeded') notSucceeded++;
      if (i < WARM_UP_RUNS) continue;
      latencyRuns.push(run.id);
      firstStart.push((calls[0] as LedgerCall).received - promoted);
      for (let k = 1; k < STEPS; k++) gaps.push((calls[k] as LedgerCall).received - (calls[k - 1] as LedgerCall).answered);
    }
    const latencyRepeats = repeats(ledger, (key) => latencyRuns.some((id) => key.startsWith(`${id}:`)));

    // Throughput: the load runs are promoted while the workers are paused, then all resume at once.
    for (const p of procs) p.process.kill('SIGSTOP');
    const promoted = await promoteLoad(services, cfg.loadRuns);
    log(`postgres: Railyard, ${workers} worker(s): ${promoted.runs.length} runs promoted in ${ms(promoted.ms)} (workers paused)`);
    const { resumed, activity } = await resumeUntil(
      admin,
      database.url,
      procs,
      'a railyard worker',
      'the load runs to finish',
      async () => {
        return (await openLoadRuns(db)) === 0;
      },
    );
    const outcome = await loadOutcome(db);
    const units = promoted.runs.length * STEPS;
    const elapsedMs = outcome.lastFinished - resumed;
    const claimedTwice = await sql<{ n: number }>`
      select count(*) as n from (
        select subject_id from audit_events where action = 'step.started' group by subject_id having count(*) > 1
      ) twice`.execute(db);
    const claims = await db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('action', '=', 'step.started')
      .executeTakeFirstOrThrow();
    const errorLines = procs.flatMap((p) => p.output().match(/^worker \S+: .*$/gm) ?? []);
    const workerErrors = errorLines.length;
    if (workerErrors > 0)
      log(`postgres: Railyard, ${workers} worker(s): ${workerErrors} worker errors, e.g.\n  ${errorLines.slice(0, 5).join('\n  ')}`);
    const doubles = latencyRepeats + Number(claimedTwice.rows[0]?.n ?? 0);
    const errors = notSucceeded + (promoted.runs.length - outcome.succeeded) + outcome.retried + workerErrors;
    return {
      perSecond: units / (elapsedMs / 1000),
      units,
      elapsedMs,
      gaps,
      firstStart,
      doubles,
      errors,
      detail:
        `runs ${outcome.statuses.map((s) => `${s.status} ${s.n}`).join(', ')}; ${Number(claims.n)} claims for ` +
        `${units + (WARM_UP_RUNS + cfg.latencyRuns) * STEPS} steps; ${outcome.retried} steps with attempt ≠ 1; ${workerErrors} worker errors`,
      activity,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await services?.close();
    await database.drop();
  }
}

// ---- graphile-worker ----

/** graphile-worker's own messages in this process: errors only. */
const quiet = new Logger(() => (level, message) => {
  if (level === 'error') log(`graphile-worker: ${message}`);
});

const CHILD = fileURLToPath(new URL('./lib/graphile-worker-process.ts', import.meta.url));

interface GraphileChild {
  process: ChildProcess;
  output(): string;
  request(): Promise<GraphileChildReport>;
  stop(): Promise<void>;
}

async function startGraphileChild(settings: GraphileChildSettings): Promise<GraphileChild> {
  const child = fork(CHILD, [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_GRAPHILE_SETTINGS: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`graphile-worker process did not start within 30 s:\n${out}`)), 30_000);
    child.on('message', (m: { ready?: boolean }) => {
      if (!m.ready) return;
      clearTimeout(timer);
      resolve();
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`graphile-worker process exited before it started:\n${out}`));
    });
  });
  return {
    process: child,
    output: () => out,
    request: () =>
      new Promise((resolve) => {
        const on = (m: { report?: GraphileChildReport }) => {
          if (!m.report) return;
          child.off('message', on);
          resolve(m.report);
        };
        child.on('message', on);
        child.send('report');
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function graphile(
  admin: string,
  workers: number,
  mode: GraphileMode,
  cfg: Settings,
  ledger: Ledger,
  waits: LedgerWaits,
): Promise<Measured> {
  const database = await createDatabase(admin, 'graphile_bench');
  let utils: WorkerUtils | undefined;
  const children: GraphileChild[] = [];
  try {
    await runMigrations({ connectionString: database.url, logger: quiet });
    utils = await makeWorkerUtils({ connectionString: database.url, logger: quiet });
    const settings: GraphileChildSettings = {
      connectionString: database.url,
      concurrency: CONCURRENCY,
      maxPoolSize: POOL,
      localQueueSize: mode.localQueueSize,
      completeJobBatchDelay: mode.completeJobBatchDelay,
      ledgerUrl: ledger.url,
    };
    for (let i = 0; i < workers; i++) children.push(await startGraphileChild(settings));
    const queued = async () =>
      Number(
        (await utils?.withPgClient((c) => c.query<{ n: string }>('select count(*) as n from graphile_worker._private_jobs')))?.rows[0]?.n,
      );

    // Latency: one job at a time on idle workers, POSTing to the ledger; as many jobs as Railyard's runs have steps.
    const prefix = `graphile-${mode.name}-${workers}-${database.url.slice(-10)}`;
    const firstStart: number[] = [];
    for (let i = 0; i < (WARM_UP_RUNS + cfg.latencyRuns) * STEPS; i++) {
      const key = `${prefix}-${i}`;
      await utils.addJob('effect', { key });
      const added = performance.now();
      const call = await waits.wait(key);
      await until(async () => (await queued()) === 0, `job ${key} to complete`, 5, 60_000);
      if (i >= WARM_UP_RUNS * STEPS) firstStart.push(call.received - added);
    }
    const latencyRepeats = repeats(ledger, (key) => key.startsWith(`${prefix}-`));
    const errorsBefore = (await Promise.all(children.map((c) => c.request()))).reduce((n, r) => n + r.errors.length, 0);

    // Throughput: the jobs are added while the workers are paused, then all resume at once.
    for (const c of children) c.process.kill('SIGSTOP');
    const units = cfg.loadJobs;
    const addStart = performance.now();
    for (let i = 0; i < units; i += 500) {
      await utils.addJobs(Array.from({ length: Math.min(500, units - i) }, (_, j) => ({ identifier: 'noop', payload: { i: i + j } })));
    }
    log(
      `postgres: graphile-worker (${mode.name}), ${workers} worker(s): ${units} jobs added in ${ms(performance.now() - addStart)} (workers paused)`,
    );
    const { resumed, activity } = await resumeUntil(
      admin,
      database.url,
      children,
      'a graphile-worker process',
      'the jobs to finish',
      async () => (await queued()) === 0,
    );
    const reports = await Promise.all(children.map((c) => c.request()));
    const ran = reports.flatMap((r) => r.ran);
    const lastEnd = Math.max(...reports.map((r) => r.lastEnd));
    const elapsedMs = lastEnd - resumed;
    const distinct = new Set(ran).size;
    const errorLines = reports.flatMap((r) => r.errors);
    const errors = errorLines.length;
    if (errors > 0)
      log(
        `postgres: graphile-worker (${mode.name}), ${workers} worker(s): ${errors} errors, e.g.\n  ${errorLines.slice(0, 5).join('\n  ')}`,
      );
    return {
      perSecond: units / (elapsedMs / 1000),
      units,
      elapsedMs,
      gaps: [],
      firstStart,
      doubles: latencyRepeats + (ran.length - distinct),
      errors: errors + (units - distinct),
      detail: `${ran.length} executions of ${distinct} distinct jobs (${units} added); ${errors} errors logged (${errorsBefore} before the load)`,
      activity,
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await utils?.release();
    await database.drop();
  }
}

// ---- Report ----

const rate = (m: Measured | undefined) => (m ? `${m.perSecond.toFixed(0)}/s` : '-');
const p50p99 = (values: readonly number[]) => (values.length ? `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}` : '-');

interface Point {
  workers: number;
  railyard: Measured;
  graphile: Partial<Record<GraphileMode['name'], Measured>>;
}

function curveTable(points: readonly Point[], modes: readonly GraphileMode[]): string {
  const header = [
    'workers',
    'Railyard steps/s',
    ...modes.map((m) => `graphile ${m.name} jobs/s`),
    'Railyard step end→next start p50/p99',
    'Railyard enqueue→start p50/p99',
    ...modes.map((m) => `graphile ${m.name} add→start p50/p99`),
    'double executions (R / g)',
  ];
  const rows = points.map((p) => [
    String(p.workers),
    rate(p.railyard),
    ...modes.map((m) => rate(p.graphile[m.name])),
    p50p99(p.railyard.gaps),
    p50p99(p.railyard.firstStart),
    ...modes.map((m) => p50p99(p.graphile[m.name]?.firstStart ?? [])),
    `${p.railyard.doubles} / ${modes.map((m) => p.graphile[m.name]?.doubles ?? '-').join(' / ')}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function rows(points: readonly Point[], modes: readonly GraphileMode[]): Row[] {
  const out: Row[] = [];
  for (const p of points) {
    const g = modes.map((m) => p.graphile[m.name]).filter((m): m is Measured => m !== undefined);
    const bestRate = Math.max(...g.map((m) => m.perSecond));
    const bestStart = Math.min(...g.map((m) => percentile(m.firstStart, 50)));
    const bestStart99 = Math.min(...g.map((m) => percentile(m.firstStart, 99)));
    const n = `${p.workers} worker process${p.workers === 1 ? '' : 'es'}`;
    out.push(
      {
        benchmark: 'postgres',
        case: `${n}: no-op steps/s (${p.railyard.units.toLocaleString('en-US')} steps) vs graphile-worker jobs/s (${modes.map((m) => m.name).join(', ')})`,
        result: `Railyard ${rate(p.railyard)}; graphile ${modes.map((m) => `${m.name} ${rate(p.graphile[m.name])}`).join(', ')}`,
        target: 'Railyard ≥ graphile',
        pass: p.railyard.perSecond >= bestRate,
      },
      {
        benchmark: 'postgres',
        case: `${n}: Railyard step end → dependent start (${p.railyard.gaps.length} gaps), one run at a time`,
        result: `p50 ${ms(percentile(p.railyard.gaps, 50))}, p99 ${ms(percentile(p.railyard.gaps, 99))}`,
        target: '',
      },
      {
        benchmark: 'postgres',
        case: `${n}: enqueue committed → first start, Railyard (promote, ${p.railyard.firstStart.length} runs) vs graphile (addJob)`,
        result: `Railyard p50 ${ms(percentile(p.railyard.firstStart, 50))}, p99 ${ms(percentile(p.railyard.firstStart, 99))}; graphile ${modes
          .map((m) => `${m.name} ${p50p99(p.graphile[m.name]?.firstStart ?? [])}`)
          .join(', ')}`,
        target: 'Railyard ≤ graphile (p50 and p99)',
        pass: percentile(p.railyard.firstStart, 50) <= bestStart && percentile(p.railyard.firstStart, 99) <= bestStart99,
      },
      {
        benchmark: 'postgres',
        case: `${n}: double executions and errors`,
        result: `Railyard ${p.railyard.doubles} double, ${p.railyard.errors} errors (${p.railyard.detail}); ${modes
          .map((m) => `graphile ${m.name} ${p.graphile[m.name]?.doubles} double, ${p.graphile[m.name]?.errors} errors`)
          .join('; ')}`,
        target: 'Railyard 0 and 0',
        pass: p.railyard.doubles === 0 && p.railyard.errors === 0,
      },
    );
  }
  return out;
}

export const postgres: Benchmark = {
  name: 'postgres',
  description: `Railyard vs graphile-worker 0.17.3 on the same PostgreSQL with 1, 2 and 4 worker processes (BENCH_PG_WORKERS): no-op steps (jobs)/s, step-start latency, double executions (needs RAILYARD_BENCH_POSTGRES_URL or RAILYARD_TEST_POSTGRES_URL)`,
  async run() {
    const admin = benchPostgresUrl();
    if (!admin) {
      log('postgres: SKIPPED — set RAILYARD_BENCH_POSTGRES_URL (or RAILYARD_TEST_POSTGRES_URL) to a superuser postgres:// URL');
      return [
        {
          benchmark: 'postgres',
          case: 'skipped: no PostgreSQL (RAILYARD_BENCH_POSTGRES_URL or RAILYARD_TEST_POSTGRES_URL is not set)',
          result: '-',
          target: '',
        },
      ];
    }
    ensureBuilt();
    const cfg = settings();
    const { modes } = cfg;
    const [version] = await adminQuery<{ server_version: string }>(admin, 'show server_version');
    const startLoad = loadAverage();
    log(
      `postgres: PostgreSQL ${version?.server_version}; ${availableParallelism()} CPUs, ${startLoad}; ${cfg.loadRuns} runs × ${STEPS} steps, ${cfg.loadJobs} graphile jobs, ` +
        `${cfg.latencyRuns} latency runs, workers ${cfg.workers.join(', ')}, graphile-worker ${modes.map((m) => m.name).join(', ')}`,
    );
    const waits = new LedgerWaits();
    const ledger = await startLedger({ onCall: waits.onCall });
    const points: Point[] = [];
    try {
      for (const workers of cfg.workers) {
        const point: Point = { workers, railyard: await railyard(admin, workers, cfg, ledger, waits), graphile: {} };
        log(
          `postgres: Railyard, ${workers} worker(s): ${rate(point.railyard)} (${point.railyard.units} steps in ${ms(point.railyard.elapsedMs)}); ` +
            `gaps ${p50p99(point.railyard.gaps)}, first start ${p50p99(point.railyard.firstStart)}; ${point.railyard.detail}; ${loadAverage()}\n` +
            `  database connections during the load: ${point.railyard.activity}`,
        );
        for (const mode of modes) {
          const m = await graphile(admin, workers, mode, cfg, ledger, waits);
          point.graphile[mode.name] = m;
          log(
            `postgres: graphile-worker (${mode.name}), ${workers} worker(s): ${rate(m)} (${m.units} jobs in ${ms(m.elapsedMs)}); ` +
              `add→start ${p50p99(m.firstStart)}; ${m.detail}; ${loadAverage()}\n  database connections during the load: ${m.activity}`,
          );
        }
        points.push(point);
      }
    } finally {
      await ledger.close();
    }
    const machine = `${availableParallelism()} CPUs; ${startLoad} at the start, ${loadAverage()} at the end; PostgreSQL ${version?.server_version} on the same machine`;
    process.stdout.write(
      `\nPostgreSQL: Railyard vs graphile-worker 0.17.3 (${CONCURRENCY} at once per process, pools of ${POOL} connections)\n\n${curveTable(points, modes)}\n\n` +
        `machine: ${machine}\n` +
        `note: ${availableParallelism()} cores run the workers, PostgreSQL and this benchmark together: more worker processes cannot scale past them.\n`,
    );
    return [...rows(points, modes), { benchmark: 'postgres', case: 'machine', result: machine, target: '' }];
  },
};

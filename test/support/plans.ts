import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FINAL_RUN_STATUSES } from '../../src/features/plans/plan.js';
import type { PlanWorker, WorkerOptions } from '../../src/features/plans/plan-worker.js';
import type { Run, RunDetail, StepLog } from '../../src/features/plans/run.js';
import { createWorker } from '../../src/features/plans/worker-service.js';
import type { Clock } from '../../src/platform/clock.js';
import type { Db } from '../../src/platform/db/database.js';
import { startWorkerProcess, type WorkerProcess } from './cli.js';
import { openTestDb, type TestDb } from './databases.js';

/** A fake service on loopback: `handle` answers each request; every request is kept for the test to look at. */
export interface FakeService {
  url: string;
  port: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string; at: number }[];
  close(): Promise<void>;
}

export async function startFakeService(
  handle: (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>,
): Promise<FakeService> {
  const requests: FakeService['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, at: Date.now() });
      Promise.resolve(handle(req, body, res)).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One idempotency key's record in the effects ledger. */
export interface LedgerEntry {
  /** How many times the effect took place: an idempotent receiver applies it once per key, whatever the calls. */
  applied: number;
  calls: LedgerCall[];
}

export interface LedgerCall {
  attempt: string;
  pid: string;
  /** Date.now() when the call came in. */
  at: number;
  /** performance.now() when the call came in, and when its answer was written (NaN until then): sub-millisecond. */
  received: number;
  answered: number;
}

/**
 * The effects ledger: a receiver that applies an effect once per idempotency key (the key from the query
 * string or the Idempotency-Key header) and remembers every call, so a test can count repeated attempts.
 */
export interface Ledger extends FakeService {
  entries: Map<string, LedgerEntry>;
  /** Calls beyond the first for each key: attempts repeated after a lost lease. */
  repeats(): number;
}

export async function startLedger(
  options: { delayMs?: () => number; onCall?: (key: string, call: LedgerCall) => void } = {},
): Promise<Ledger> {
  const entries = new Map<string, LedgerEntry>();
  const service = await startFakeService(async (req, _body, res) => {
    const received = performance.now();
    const url = new URL(req.url ?? '/', 'http://ledger');
    const key = url.searchParams.get('key') ?? (req.headers['idempotency-key'] as string | undefined);
    if (!key) {
      res.statusCode = 400;
      res.end('no idempotency key\n');
      return;
    }
    const delay = options.delayMs?.() ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const entry = entries.get(key) ?? { applied: 0, calls: [] };
    entries.set(key, entry);
    const call: LedgerCall = {
      attempt: url.searchParams.get('attempt') ?? '',
      pid: url.searchParams.get('pid') ?? '',
      at: Date.now(),
      received,
      answered: Number.NaN,
    };
    entry.calls.push(call);
    if (entry.applied === 0) entry.applied = 1;
    res.setHeader('connection', 'close');
    res.end(`applied ${key}\n`, () => {
      call.answered = performance.now();
      options.onCall?.(key, call);
    });
  });
  return {
    ...service,
    entries,
    repeats: () => [...entries.values()].reduce((n, e) => n + e.calls.length - 1, 0),
  };
}

/**
 * A step's effect: a bash script (no curl or node start-up needed: bash's /dev/tcp) that sends the step's
 * idempotency key, attempt and worker pid to the ledger on the port given as its first argument, then sleeps
 * for the seconds given as its second (default 0). Returns the script's path.
 */
export function writeEffectScript(dir: string): string {
  const path = join(dir, 'effect.sh');
  writeFileSync(
    path,
    [
      'set -eu',
      'exec 3<>"/dev/tcp/127.0.0.1/$1"',
      `printf 'POST /effect?key=%s&attempt=%s&pid=%s HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\nContent-Length: 0\\r\\n\\r\\n' "$RAILYARD_IDEMPOTENCY_KEY" "$RAILYARD_ATTEMPT" "$PPID" >&3`,
      'read -r status <&3',
      'exec 3<&-',
      'case "$status" in *" 200 "*) ;; *) echo "ledger answered: $status" >&2; exit 1;; esac',
      'echo "effect $RAILYARD_IDEMPOTENCY_KEY attempt $RAILYARD_ATTEMPT by worker pid $PPID"',
      'if [ "$#" -ge 2 ]; then sleep "$2"; fi',
      'echo "done by worker pid $PPID"',
      '',
    ].join('\n'),
  );
  return path;
}

/** True while a process exists and is not a zombie (a container's init may never reap it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (!existsSync('/proc')) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A fresh database with a railyard.yaml applied, in-process workers, and shortcuts for promoting and waiting. */
export interface PlanHarness {
  t: TestDb;
  s: TestDb['services'];
  release(ref: string): Promise<void>;
  promote(ref: string, environment: string, actor?: string, at?: string): Promise<Run>;
  startWorker(options?: WorkerOptions): Promise<PlanWorker>;
  /** Stops the workers started so far (gracefully). */
  stopWorkers(): Promise<void>;
  /** Waits for the run to finish (fails the test when it does not within `timeoutMs`). */
  finished(runId: string, timeoutMs?: number): Promise<RunDetail>;
  /** Waits until `test` holds for the run. */
  until(runId: string, test: (run: RunDetail) => boolean, what: string, timeoutMs?: number): Promise<RunDetail>;
  logs(runId: string, step?: string): Promise<StepLog[]>;
  output(runId: string, step?: string): Promise<string>;
  close(): Promise<void>;
}

export async function openPlanHarness(dialect: 'sqlite' | 'postgres', config: string, clock?: Clock): Promise<PlanHarness> {
  const t = await openTestDb(dialect, clock);
  const s = t.services;
  const workers: PlanWorker[] = [];
  try {
    await s.config.apply(config, 'railyard.yaml', { dryRun: false }, 'admin');
  } catch (error) {
    await t.close();
    const details = (error as { details?: { line?: number; message: string }[] }).details ?? [];
    throw new Error(`${(error as Error).message}: ${details.map((d) => `line ${d.line}: ${d.message}`).join('; ')}`);
  }
  const logs = (runId: string, step?: string) => s.runs.logs(runId, { step, limit: 5000 });
  const until = async (runId: string, test: (run: RunDetail) => boolean, what: string, timeoutMs = 15_000) => {
    let last: RunDetail | undefined;
    try {
      return await eventually(
        async () => {
          last = await s.runs.show(runId);
          return test(last) && last;
        },
        what,
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; run is ${JSON.stringify(summary(last))}`);
    }
  };
  return {
    t,
    s,
    async release(ref) {
      const [product, version] = ref.split('@') as [string, string];
      await s.releases.create({ product, version }, 'admin');
    },
    promote: (ref, environment, actor = 'alice', at) => s.runs.promote({ release: ref, environment, ...(at ? { at } : {}) }, actor),
    async startWorker(options = {}) {
      const worker = createWorker(s, { pollMs: 50, graceMs: 2_000, ...options });
      await worker.start();
      workers.push(worker);
      return worker;
    },
    async stopWorkers() {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
    },
    finished: (runId, timeoutMs = 20_000) =>
      until(runId, (r) => (FINAL_RUN_STATUSES as readonly string[]).includes(r.status), 'the run to finish', timeoutMs),
    until,
    logs,
    output: async (runId, step) => (await logs(runId, step)).map((l) => l.text).join(''),
    async close() {
      try {
        await Promise.all(workers.splice(0).map((w) => w.stop()));
      } finally {
        await t.close();
      }
    },
  };
}

function summary(run: RunDetail | undefined) {
  if (!run) return null;
  return {
    status: run.status,
    error: run.error,
    steps: run.steps.map((s) => `${s.phase}/${s.key}:${s.status}#${s.attempt}${s.error ? ` (${s.error})` : ''}`),
  };
}

/** Processes whose parent is `pid` (read from /proc: Linux only, as is the test that uses it). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The reliability tests' plan: five idempotent steps in a diamond, each calling the effects ledger once. */
export const FIVE_STEPS = ['prepare', 'migrate', 'assets', 'deploy', 'announce'] as const;
export const FIVE_STEP_NEEDS: Record<(typeof FIVE_STEPS)[number], string[]> = {
  prepare: [],
  migrate: ['prepare'],
  assets: ['prepare'],
  deploy: ['migrate', 'assets'],
  announce: ['deploy'],
};

/** railyard.yaml's `plans:` section declaring the five-step plan `key`, its steps running `effect` against the ledger's `port`. */
export function fiveStepPlanYaml(key: string, effect: string, port: number): string {
  const steps = FIVE_STEPS.map(
    (step) =>
      `      - { key: ${step}, needs: ${JSON.stringify(FIVE_STEP_NEEDS[step])}, run: ${JSON.stringify(['bash', effect, String(port)])}, idempotent: true }`,
  );
  return `plans:\n  - key: ${key}\n    steps:\n${steps.join('\n')}\n`;
}

/**
 * What the ledger must show after the runs of the five-step plan: every expected key (run × step) applied
 * exactly once and no other key, and each step's first effect no earlier than its needs' first. Returns the
 * problems found (empty when none), so a failure names the keys.
 */
export function ledgerProblems(ledger: Ledger, runIds: readonly string[]): string[] {
  const problems: string[] = [];
  const expected = new Set(runIds.flatMap((id) => FIVE_STEPS.map((step) => `${id}:deploy:${step}`)));
  for (const key of expected) {
    const entry = ledger.entries.get(key);
    if (!entry) problems.push(`${key}: never applied`);
    else if (entry.applied !== 1) problems.push(`${key}: applied ${entry.applied} times`);
  }
  for (const key of ledger.entries.keys()) if (!expected.has(key)) problems.push(`${key}: applied, but no run has that step`);
  for (const id of runIds) {
    const first = (step: string) => ledger.entries.get(`${id}:deploy:${step}`)?.calls[0]?.at ?? Number.NaN;
    for (const step of FIVE_STEPS) {
      for (const need of FIVE_STEP_NEEDS[step]) {
        if (!(first(step) >= first(need))) problems.push(`${id}: ${step} took effect before its need ${need}`);
      }
    }
  }
  return problems;
}

/** How many runs are not final yet (all of them, or those of `ids`). */
export async function openRunCount(db: Db, ids?: readonly string[]): Promise<number> {
  let query = db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', 'not in', [...FINAL_RUN_STATUSES]);
  if (ids) query = query.where('id', 'in', [...ids]);
  return Number((await query.executeTakeFirst())?.n);
}

/**
 * `railyard worker` processes on one database for the chaos tests: started with the same arguments, and
 * killed with SIGKILL (no chance to release anything) and replaced, so that as many stay up.
 */
export interface WorkerFleet {
  /** Every worker started, the dead too (their output explains a failure). */
  all: WorkerProcess[];
  live(): WorkerProcess[];
  start(): Promise<WorkerProcess>;
  /** The live workers that hold a running step right now: killing one of them loses a lease. */
  holders(): Promise<WorkerProcess[]>;
  /** SIGKILLs `victim`, waits until it is gone, then starts its replacement. */
  killAndReplace(victim: WorkerProcess): Promise<WorkerProcess>;
  /** Stops the live workers (SIGTERM, then SIGKILL after `graceMs`) and resolves with their exit codes. */
  stop(graceMs?: number): Promise<(number | string)[]>;
  /** Every worker's output, for a failure message. */
  output(): string;
}

export function workerFleet(url: string, args: string[], cwd: string, db: Db): WorkerFleet {
  const all: WorkerProcess[] = [];
  const live = () => all.filter((w) => w.process.exitCode === null && w.process.signalCode === null);
  const start = async () => {
    const w = await startWorkerProcess(url, args, cwd);
    all.push(w);
    return w;
  };
  return {
    all,
    live,
    start,
    async holders() {
      const rows = await db.selectFrom('step_runs').select('lease_owner').distinct().where('status', '=', 'running').execute();
      const owners = new Set(rows.map((r) => r.lease_owner));
      return live().filter((w) => owners.has(w.id));
    },
    async killAndReplace(victim) {
      victim.process.kill('SIGKILL');
      await victim.exited;
      return start();
    },
    stop: (graceMs) => Promise.all(live().map((w) => w.stop(graceMs))),
    output: () => all.map((w) => `--- worker ${w.id} (pid ${w.pid})\n${w.output()}`).join('\n'),
  };
}

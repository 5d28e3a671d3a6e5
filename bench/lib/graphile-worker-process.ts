import { performance } from 'node:perf_hooks';
import { Logger, type Runner, run } from 'graphile-worker';

/**
 * One graphile-worker process for the postgres benchmark, started by bench/lib/graphile.ts with an IPC channel.
 * Its tasks: `noop` does nothing but note which job ran and when (in memory: no I/O added to the job), and
 * `effect` POSTs the job's key to the benchmark's effects ledger, as Railyard's latency steps do.
 * Messages from the parent: `report` (answered with what ran), `stop` (a graceful stop, then exit).
 */
export interface GraphileChildSettings {
  connectionString: string;
  concurrency: number;
  maxPoolSize: number;
  /** localQueue.size (jobs fetched and locked per query), -1 for none (graphile-worker's default). */
  localQueueSize: number;
  /** completeJobBatchDelay in ms, -1 for none (graphile-worker's default). */
  completeJobBatchDelay: number;
  ledgerUrl: string;
}

export interface GraphileChildReport {
  /** Id of every noop job execution, in order (an id listed twice ran twice). */
  ran: string[];
  /** Epoch ms (sub-millisecond) of the first noop job's start and the last one's end. */
  firstStart: number;
  lastEnd: number;
  errors: string[];
}

const settings = JSON.parse(process.env.BENCH_GRAPHILE_SETTINGS ?? '{}') as GraphileChildSettings;
const now = () => performance.timeOrigin + performance.now();
const report: GraphileChildReport = { ran: [], firstStart: Number.POSITIVE_INFINITY, lastEnd: 0, errors: [] };

const logger = new Logger(() => (level, message) => {
  if (level === 'error') report.errors.push(message);
});

let runner: Runner;
try {
  runner = await run({
    connectionString: settings.connectionString,
    concurrency: settings.concurrency,
    maxPoolSize: settings.maxPoolSize,
    noHandleSignals: true,
    logger,
    preset: {
      worker: {
        localQueue: { size: settings.localQueueSize },
        completeJobBatchDelay: settings.completeJobBatchDelay,
      },
    },
    taskList: {
      noop: async (_payload, helpers) => {
        const start = now();
        report.ran.push(helpers.job.id);
        if (start < report.firstStart) report.firstStart = start;
        report.lastEnd = now();
      },
      effect: async (payload, helpers) => {
        const { key } = payload as { key: string };
        const res = await fetch(`${settings.ledgerUrl}/effect?attempt=${helpers.job.attempts}`, {
          method: 'POST',
          headers: { 'idempotency-key': key },
        });
        await res.text();
        if (!res.ok) throw new Error(`the ledger answered ${res.status}`);
      },
    },
  });
} catch (error) {
  process.stderr.write(`graphile-worker did not start: ${(error as Error).message}\n`);
  process.exit(1);
}

process.on('message', (message: string) => {
  if (message === 'report') process.send?.({ report });
  if (message === 'stop') {
    void runner.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
process.send?.({ ready: true });

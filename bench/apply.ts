import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServices } from '../src/platform/container.js';
import { CLI, childCpuMs, ensureBuilt, timeCommand } from './lib/cli.js';
import { type Benchmark, log, type Row } from './lib/report.js';
import { removeDatabase, tempDir } from './lib/seed.js';
import { ms, summarize } from './lib/stats.js';
import { ENVIRONMENTS, generateConfig } from './lib/workload.js';

const TARGET_MS = 2000;
const PRODUCTS = 500;
const RUNS = 5;

interface Timings {
  first: number[];
  second: number[];
  /** CPU time of the subprocesses (user + system), when the platform tells it. */
  firstCpu?: number[];
  secondCpu?: number[];
}

/** `railyard apply -f railyard.yaml` as a subprocess: into an empty database, then again with nothing to change. */
function subprocessRuns(file: string, runs: number): Timings {
  const t: Timings = { first: [], second: [], firstCpu: [], secondCpu: [] };
  for (let i = 0; i <= runs; i++) {
    const db = join(tempDir(), `apply-${process.pid}-${i}.db`);
    removeDatabase(db);
    try {
      const cpu0 = childCpuMs() ?? Number.NaN;
      const first = timeCommand([CLI, '--db', db, 'apply', '-f', file]);
      const cpu1 = childCpuMs() ?? Number.NaN;
      if (!/applied: \d+ created/.test(first.stdout)) throw new Error(`unexpected apply output:\n${first.stdout.slice(-500)}`);
      const second = timeCommand([CLI, '--db', db, 'apply', '-f', file]);
      const cpu2 = childCpuMs() ?? Number.NaN;
      if (!second.stdout.includes('no changes')) throw new Error(`second apply changed something:\n${second.stdout.slice(-500)}`);
      // Run 0 warms the file cache and is not counted.
      if (i > 0) {
        t.first.push(first.ms);
        t.second.push(second.ms);
        t.firstCpu?.push(cpu1 - cpu0);
        t.secondCpu?.push(cpu2 - cpu1);
      }
    } finally {
      removeDatabase(db);
    }
  }
  return t;
}

/** The same through ConfigService in this process: the cost of the apply itself, without Node's start-up. */
async function inProcessRuns(text: string, runs: number): Promise<Timings> {
  const t: Timings = { first: [], second: [] };
  for (let i = 0; i <= runs; i++) {
    const db = join(tempDir(), `apply-inproc-${process.pid}-${i}.db`);
    removeDatabase(db);
    const services = await startServices(db);
    try {
      let start = performance.now();
      const first = await services.config.apply(text, 'railyard.yaml', { dryRun: false }, 'bench');
      const firstMs = performance.now() - start;
      start = performance.now();
      const second = await services.config.apply(text, 'railyard.yaml', { dryRun: false }, 'bench');
      const secondMs = performance.now() - start;
      if (first.created !== PRODUCTS + ENVIRONMENTS.length + 4 || second.unchanged !== first.created) {
        throw new Error(`unexpected plans: first ${JSON.stringify(first).slice(0, 200)}, second unchanged=${second.unchanged}`);
      }
      if (i > 0) {
        t.first.push(firstMs);
        t.second.push(secondMs);
      }
    } finally {
      await services.close();
      removeDatabase(db);
    }
  }
  return t;
}

export const apply: Benchmark = {
  name: 'apply',
  description: `railyard apply -f of ${PRODUCTS} products × ${ENVIRONMENTS.length} environments: < ${TARGET_MS / 1000} s`,
  async run() {
    ensureBuilt();
    const text = generateConfig(PRODUCTS);
    const file = join(tempDir(), `railyard-${PRODUCTS}.yaml`);
    writeFileSync(file, text);
    log(`apply: ${file} (${(text.length / 1024).toFixed(0)} KiB, ${text.split('\n').length} lines); 1 warm-up + ${RUNS} runs of each`);
    const sub = subprocessRuns(file, RUNS);
    const inproc = await inProcessRuns(text, RUNS);

    const row = (name: string, values: number[], target: boolean, cpu?: number[]): Row => {
      const s = summarize(values);
      const cpuNote = cpu?.length ? `; CPU median ${ms(summarize(cpu).median)}` : '';
      return {
        benchmark: 'apply',
        case: name,
        result: `median ${ms(s.median)} (min ${ms(s.min)}, max ${ms(s.max)}, n=${s.runs}${cpuNote})`,
        target: target ? `median < ${TARGET_MS / 1000} s` : '',
        pass: target ? s.median < TARGET_MS : undefined,
      };
    };
    return [
      row(`first apply, ${PRODUCTS} products (subprocess)`, sub.first, true, sub.firstCpu),
      row('second apply, no changes (subprocess)', sub.second, true, sub.secondCpu),
      row('first apply (in-process ConfigService)', inproc.first, false),
      row('second apply (in-process ConfigService)', inproc.second, false),
    ];
  },
};

import { parseArgs } from 'node:util';
import { apiList } from './api-list.js';
import { apply } from './apply.js';
import { calendar } from './calendar.js';
import { coldStart } from './cold-start.js';
import { gates } from './gates.js';
import { type Benchmark, formatTable, loadAverage, log, machine, type Row } from './lib/report.js';
import { plans } from './plans.js';
import { postgres } from './postgres.js';
import { versioning } from './versioning.js';

/**
 * npm run bench [-- NAME…] [--runs N] [--duration S]
 * Runs the benchmarks one after another (never in parallel: they would measure each other), prints each
 * one's results as it finishes and a table of all of them at the end. Exits 1 when a target is missed.
 */
const BENCHMARKS: Benchmark[] = [coldStart, apply, apiList, gates, versioning, calendar, plans, postgres];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '30' },
    duration: { type: 'string', default: '10' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || values.list) {
  process.stdout.write(
    [
      'usage: npm run bench [-- NAME…] [--runs N] [--duration SECONDS]',
      '',
      ...BENCHMARKS.map((b) => `  ${b.name.padEnd(12)} ${b.description}`),
      '',
      '  --runs N        timed runs per cold-start case (default 30, after 3 warm-ups)',
      '  --duration S    seconds of load per api-list case (default 10)',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

const selected = positionals.length ? BENCHMARKS.filter((b) => positionals.some((p) => b.name.includes(p))) : BENCHMARKS;
if (selected.length === 0) {
  process.stderr.write(`no benchmark matches ${positionals.join(', ')} (have: ${BENCHMARKS.map((b) => b.name).join(', ')})\n`);
  process.exit(2);
}

const options = { runs: Number(values.runs), duration: Number(values.duration) };
const rows: Row[] = [];
process.stdout.write(`${new Date().toISOString()}  ${machine()}\n`);
for (const bench of selected) {
  log(`\n▶ ${bench.name}: ${bench.description}`);
  const started = Date.now();
  // A benchmark that cannot run (a bad knob, a server that is down) is reported as a missed target; the others run.
  const result = await bench.run(options).catch((error: unknown): Row[] => {
    log(`✖ ${bench.name}: ${(error as Error).message}`);
    return [{ benchmark: bench.name, case: 'could not run', result: (error as Error).message, target: 'runs', pass: false }];
  });
  rows.push(...result);
  process.stdout.write(`\n${formatTable(result)}\n`);
  log(`(${bench.name} took ${((Date.now() - started) / 1000).toFixed(0)} s; ${loadAverage()})`);
}

if (selected.length > 1) process.stdout.write(`\nAll results\n\n${formatTable(rows)}\n`);
const failed = rows.filter((r) => r.pass === false);
process.stdout.write(
  failed.length ? `\n${failed.length} target(s) missed.\n` : `\nAll ${rows.filter((r) => r.pass).length} targets met.\n`,
);
if (failed.length) process.exitCode = 1;

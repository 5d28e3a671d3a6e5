import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

/** One line of the results table: a measured number, and the target it is checked against if it has one. */
export interface Row {
  benchmark: string;
  case: string;
  /** The measured numbers, already formatted, e.g. "median 92.1 ms, p90 97.3 ms". */
  result: string;
  /** e.g. "median < 150 ms"; empty for numbers reported for context only. */
  target: string;
  pass?: boolean;
}

export interface Benchmark {
  name: string;
  description: string;
  run(options: BenchOptions): Promise<Row[]>;
}

export interface BenchOptions {
  /** Timed runs per subprocess measurement (cold start). */
  runs: number;
  /** Seconds of load per API case. */
  duration: number;
}

export function verdict(row: Row): string {
  if (row.pass === undefined) return '';
  return row.pass ? 'PASS' : 'FAIL';
}

/** Prints rows as a plain-text table (no colour: the output is meant to be pasted into docs and CI logs). */
export function formatTable(rows: readonly Row[]): string {
  const header = ['benchmark', 'case', 'result', 'target', ''];
  const cells = rows.map((r) => [r.benchmark, r.case, r.result, r.target, verdict(r)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** The machine the numbers come from, and how busy it was: other processes skew every timing here. */
export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const mem = (totalmem() / 2 ** 30).toFixed(0);
  return `node ${process.version}, ${availableParallelism()} CPUs (${cpu}), ${mem} GiB RAM, ${loadAverage()}`;
}

export function loadAverage(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/** Progress and per-benchmark detail go to stderr so that stdout carries only the final table. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

import { CLI, childCpuMs, ensureBuilt, timeCommand } from './lib/cli.js';
import { type Benchmark, log, type Row } from './lib/report.js';
import { seededDatabase } from './lib/seed.js';
import { ms, summarize } from './lib/stats.js';

const TARGET_MS = 150;
const RELEASES = 10_000;
const WARMUPS = 3;

/**
 * Start-up time of the CLI as a user sees it: a real `node dist/bin/main.js …` subprocess, wall clock from
 * spawn to exit. The cases run interleaved (one of each per round) so that drift in the machine's load
 * affects them alike; `node -e 0` is the floor no Node CLI can beat.
 */
export const coldStart: Benchmark = {
  name: 'cold-start',
  description: `railyard --version and releases list --json (${RELEASES} releases): median < ${TARGET_MS} ms`,
  async run({ runs }) {
    ensureBuilt();
    const db = await seededDatabase(RELEASES);
    const cases = [
      { name: 'node -e 0 (floor)', args: ['-e', '0'], target: false },
      { name: 'railyard --version', args: [CLI, '--version'], target: true },
      { name: `railyard releases list --json (${RELEASES / 1000}k)`, args: [CLI, '--db', db, 'releases', 'list', '--json'], target: true },
    ];
    const page = JSON.parse(timeCommand(cases[2]?.args ?? []).stdout) as { items: unknown[] };
    if (page.items.length !== 50) throw new Error(`releases list returned ${page.items.length} releases, expected 50`);

    log(`cold-start: ${WARMUPS} warm-ups and ${runs} timed runs of each case, interleaved`);
    for (let i = 0; i < WARMUPS; i++) for (const c of cases) timeCommand(c.args);
    const times = cases.map(() => [] as number[]);
    const cpu = cases.map(() => 0);
    for (let i = 0; i < runs; i++) {
      for (const [j, c] of cases.entries()) {
        const before = childCpuMs() ?? Number.NaN;
        times[j]?.push(timeCommand(c.args).ms);
        cpu[j] = (cpu[j] ?? 0) + ((childCpuMs() ?? Number.NaN) - before);
      }
    }

    return cases.map((c, j): Row => {
      const s = summarize(times[j] ?? []);
      return {
        benchmark: 'cold-start',
        case: c.name,
        result: `median ${ms(s.median)}, p90 ${ms(s.p90)} (min ${ms(s.min)}, max ${ms(s.max)}, n=${s.runs}; CPU ${ms((cpu[j] ?? 0) / runs)}/run)`,
        target: c.target ? `median < ${TARGET_MS} ms` : '',
        pass: c.target ? s.median < TARGET_MS : undefined,
      };
    });
  },
};

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CommitParser } from 'conventional-commits-parser';
import { parseCommitMessage } from '../src/features/versioning/conventional-commit.js';
import { CLEAN_ENV, CLI, ensureBuilt } from './lib/cli.js';
import { type Benchmark, log, type Row } from './lib/report.js';
import { tempDir } from './lib/seed.js';
import { median, ms } from './lib/stats.js';
import { type BenchRepo, benchRepo, PACKAGE_RELEASES } from './lib/versioning-repo.js';

const ALL_SIZES = [
  { commits: 10_000, tags: 1_000, targets: true },
  { commits: 100_000, tags: 1_000, targets: false },
];
/**
 * While iterating on Railyard: BENCH_VERSIONING_SIZES=10000 runs only that history, and BENCH_PEERS=0 skips
 * git-cliff and conventional-changelog (over a minute at 10k commits). Reported numbers use neither.
 */
const SIZES = process.env.BENCH_VERSIONING_SIZES
  ? ALL_SIZES.filter((s) => process.env.BENCH_VERSIONING_SIZES?.split(',').map(Number).includes(s.commits))
  : ALL_SIZES;
const PEERS = process.env.BENCH_PEERS !== '0';
const CHANGELOG_TARGET_MS = 1000;
const FLOOR_FACTOR = 5;
const QUICK_TARGET_MS = 150;
/** A peer that has not finished after this long is stopped and reported as such. */
const PEER_TIMEOUT_MS = 300_000;

interface Measured {
  /** Median wall-clock time, or null when the tool could not run or was stopped. */
  ms: number | null;
  /** Fastest run: on a shared machine, the one least disturbed by other work. */
  minMs?: number | null;
  /** Median CPU time (user + system, the process and the git processes it waited for). */
  cpuMs?: number | null;
  runs: number;
  rssKb: number | null;
  note?: string;
}

const require = createRequire(import.meta.url);

/** The peers, found in node_modules (devDependencies); git-cliff's native binary is run directly (no Node wrapper). */
function peers(): { cliff: string | null; cc: string | null } {
  const find = (f: () => string) => {
    try {
      const p = f();
      return existsSync(p) ? p : null;
    } catch {
      return null;
    }
  };
  // git-cliff's package exports only its entry points; its binary package is resolved from there, as it does.
  const cliffMain = find(() => require.resolve('git-cliff'));
  const cliff = cliffMain && find(() => createRequire(cliffMain).resolve(`git-cliff-${platform()}-${arch()}/bin/git-cliff`));
  return { cliff, cc: find(() => require.resolve('conventional-changelog-cli/cli.js')) };
}

/**
 * Runs a command `runs` times as a subprocess in `cwd` (wall clock, spawn to exit) under /usr/bin/time for
 * its peak resident memory, in the clean environment cold-start uses. A run that fails or passes `timeout`
 * ends the measurement with a note.
 */
function measure(cmd: string, args: string[], cwd: string, runs: number, timeout = PEER_TIMEOUT_MS): Measured {
  const times: number[] = [];
  const cpu: number[] = [];
  let rss: number | null = null;
  const timeFile = join(tempDir(), `versioning-time-${process.pid}`);
  const haveTime = existsSync('/usr/bin/time');
  // coreutils `timeout` stops the measured program itself: a timeout on the /usr/bin/time wrapper would
  // leave the program running (and disturbing every later measurement).
  const limit = ['timeout', '--kill-after=5', String(timeout / 1000), cmd, ...args];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const options = { cwd, env: CLEAN_ENV, stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[], maxBuffer: 1 << 28 };
    const r = haveTime
      ? spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%M %U %S', ...limit], options)
      : spawnSync('timeout', limit.slice(1), options);
    const elapsed = performance.now() - start;
    if (r.status === 124 || r.status === 137) {
      return { ms: null, runs: times.length, rssKb: rss, note: `stopped after ${timeout / 1000} s` };
    }
    if (r.status !== 0) {
      return { ms: null, runs: times.length, rssKb: rss, note: `failed: ${String(r.stderr).trim().split('\n').pop()?.slice(0, 120)}` };
    }
    times.push(elapsed);
    if (haveTime) {
      const [maxKb = 0, user = 0, system = 0] = (readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number);
      rss = Math.max(rss ?? 0, maxKb);
      cpu.push((user + system) * 1000);
    }
  }
  rmSync(timeFile, { force: true });
  return { ms: median(times), minMs: Math.min(...times), cpuMs: cpu.length ? median(cpu) : null, runs: times.length, rssKb: rss };
}

function show(m: Measured): string {
  if (m.ms === null) return m.note ?? 'did not run';
  const rss = m.rssKb ? `, peak RSS ${(m.rssKb / 1024).toFixed(0)} MB` : '';
  const cpu = m.cpuMs != null ? `, cpu ${ms(m.cpuMs)}` : '';
  const runs = m.runs > 1 ? ` (min ${ms(m.minMs ?? Number.NaN)}, n=${m.runs})` : '';
  return `${m.runs > 1 ? 'median ' : ''}${ms(m.ms)}${runs}${cpu}${rss}`;
}

/** Our parser against conventional-commits-parser 6 on every message of the repository, in this process. */
function parserComparison(repo: BenchRepo): Row {
  const out = spawnSync('git', ['log', '-z', '--format=%B'], { cwd: repo.dir, maxBuffer: 1 << 30 }).stdout.toString();
  const messages = out.split('\0').filter((m) => m.trim() !== '');
  const theirs = new CommitParser({ noteKeywords: ['BREAKING CHANGE', 'BREAKING-CHANGE'] });
  const time = (f: (m: string) => unknown) => {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      for (const m of messages) f(m);
      runs.push(performance.now() - start);
    }
    return Math.min(...runs);
  };
  const ours = time(parseCommitMessage);
  const ccp = time((m) => theirs.parse(m));
  return {
    benchmark: 'versioning',
    case: `parse ${messages.length} messages (in process, best of 3)`,
    result: `railyard ${ms(ours)}, conventional-commits-parser 6 ${ms(ccp)} (${(ccp / ours).toFixed(0)}× slower)`,
    target: '',
  };
}

async function sizeRows(size: (typeof SIZES)[number], runs: number): Promise<Row[]> {
  const repo = await benchRepo(size.commits, size.tags);
  const label = `${size.commits / 1000}k commits, ${repo.tags.length} tags`;
  const lastTag = repo.tags.at(-1) ?? 'HEAD';
  const { cliff, cc } = PEERS ? peers() : { cliff: null, cc: null };
  const absent = (name: string) => (PEERS ? `${name} not installed` : 'not run (BENCH_PEERS=0)');
  const node = process.execPath;
  const quick = Math.max(5, Math.min(runs, 20));
  const slow = size.targets ? 5 : 3;
  log(`versioning: ${label} in ${repo.dir}`);

  const nodeFloor = measure(node, ['-e', '0'], repo.dir, quick);
  const floorAll = measure('git', ['log', '-z', '--format=%H%x00%P%x00%an%x00%ae%x00%ct%x00%B', 'HEAD'], repo.dir, slow);
  const floorRange = measure('git', ['log', '-z', '--format=%H%x00%P%x00%an%x00%ae%x00%ct%x00%B', `${lastTag}..HEAD`], repo.dir, quick);
  log('versioning: railyard…');
  const ryChangelog = measure(node, [CLI, 'changelog', '--all', '--stdout'], repo.dir, slow);
  const ryNotes = measure(node, [CLI, 'notes'], repo.dir, quick);
  const ryVersion = measure(node, [CLI, 'version'], repo.dir, quick);
  const ryAll = measure(node, [CLI, 'version', '--all', '--config', repo.config], repo.dir, slow);
  log('versioning: git-cliff…');
  const cliffArgs = ['--tag-pattern', '^v[0-9]'];
  const cliffChangelog = cliff ? measure(cliff, cliffArgs, repo.dir, 1) : { ms: null, runs: 0, rssKb: null, note: absent('git-cliff') };
  const cliffNotes = cliff ? measure(cliff, [...cliffArgs, '--unreleased'], repo.dir, 3) : cliffChangelog;
  const cliffVersion = cliff ? measure(cliff, [...cliffArgs, '--unreleased', '--bumped-version'], repo.dir, 3) : cliffChangelog;
  log('versioning: conventional-changelog…');
  const ccMissing = { ms: null, runs: 0, rssKb: null, note: absent('conventional-changelog-cli') };
  const ccChangelog = cc ? measure(node, [cc, '-p', 'angular', '-r', '0'], repo.dir, 1) : ccMissing;
  const ccNotes = cc ? measure(node, [cc, '-p', 'angular', '-r', '1'], repo.dir, 3) : ccMissing;

  const row = (c: string, m: Measured, target = '', pass?: boolean): Row => ({
    benchmark: 'versioning',
    case: `${label}: ${c}`,
    result: show(m),
    target,
    pass,
  });
  const within = (m: Measured, limit: number) => (size.targets ? m.ms !== null && m.ms < limit : undefined);
  const floorLimit = (floorAll.ms ?? 0) * FLOOR_FACTOR;
  return [
    row('node -e 0 (process start, floor of every railyard case)', nodeFloor),
    row('git log, whole history (floor)', floorAll),
    row(
      'railyard changelog --all',
      ryChangelog,
      size.targets ? `< ${CHANGELOG_TARGET_MS} ms` : '',
      within(ryChangelog, CHANGELOG_TARGET_MS),
    ),
    {
      benchmark: 'versioning',
      case: `${label}: railyard changelog --all ÷ git log floor`,
      result: ryChangelog.ms !== null && floorAll.ms ? `${(ryChangelog.ms / floorAll.ms).toFixed(1)}×` : '-',
      target: size.targets ? `< ${FLOOR_FACTOR}×` : '',
      pass: within(ryChangelog, floorLimit),
    },
    row('git-cliff (full changelog)', cliffChangelog),
    row('conventional-changelog -r 0 (full changelog)', ccChangelog),
    row(`git log ${lastTag}..HEAD (floor)`, floorRange),
    row('railyard notes (next release)', ryNotes, size.targets ? `< ${QUICK_TARGET_MS} ms` : '', within(ryNotes, QUICK_TARGET_MS)),
    row('git-cliff --unreleased', cliffNotes),
    row('conventional-changelog -r 1', ccNotes),
    row('railyard version', ryVersion, size.targets ? `< ${QUICK_TARGET_MS} ms` : '', within(ryVersion, QUICK_TARGET_MS)),
    row('git-cliff --unreleased --bumped-version', cliffVersion),
    row('conventional-changelog (no version command)', { ms: null, runs: 0, rssKb: null, note: 'n/a' }),
    row(`railyard version --all (${PACKAGE_RELEASES.length} products, one pass)`, ryAll),
  ];
}

export const versioning: Benchmark = {
  name: 'versioning',
  description: `changelog, notes and version on generated 10k/100k-commit histories vs git-cliff and conventional-changelog: changelog < ${CHANGELOG_TARGET_MS} ms, notes and version < ${QUICK_TARGET_MS} ms (10k)`,
  async run({ runs }) {
    ensureBuilt();
    const rows: Row[] = [];
    for (const size of SIZES) rows.push(...(await sizeRows(size, runs)));
    rows.push(parserComparison(await benchRepo(ALL_SIZES[0]?.commits ?? 10_000, ALL_SIZES[0]?.tags ?? 1_000)));
    return rows;
  },
};

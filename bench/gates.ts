import { copyFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { parseJunit } from '../src/features/evidence/junit.js';
import { compile } from '../src/features/gates/cel.js';
import { evaluateGate, type GateFacts } from '../src/features/gates/gate.js';
import type { GateCheck } from '../src/features/gates/gate-config.js';
import { fixedClock } from '../src/platform/clock.js';
import { startServices } from '../src/platform/container.js';
import { type Benchmark, log, type Row } from './lib/report.js';
import { removeDatabase, seededDatabase, tempDir } from './lib/seed.js';
import { ms, summarize } from './lib/stats.js';

const EVAL_TARGET_MS = 2;
const INGEST_TARGET_MS = 1000;
const TESTCASES = 50_000;
const RISK_RELEASES = 10_000;
const RISK_TARGET_MS = 2000;

/** 20 checks of the kinds a real policy has: evidence thresholds, scope rules and built-ins. */
const CHECKS: GateCheck[] = [
  ...Array.from({ length: 16 }, (_, i) => ({
    name: `cel-${i}`,
    cel: [
      'tests.total > 0 && tests.failed == 0',
      'coverage.lines >= 80 && coverage.branches >= 60',
      'sarif.error == 0 && sarif.warning < 50',
      'release.changes.exists(c, c.breaking) ? approvals.count >= 2 : true',
      'ci.passed',
      '"qa" in signoffs',
      'release.changes.size() < 200',
      'custom.p95_ms < 250',
    ][i % 8] as string,
  })),
  { name: 'approved', builtin: 'approvals' },
  { name: 'deps', builtin: 'dependencies' },
  { name: 'blockers', builtin: 'risks' },
  { name: 'soak', builtin: 'soak', from: 'staging', min: '24h' },
];

function factsFor(i: number): GateFacts {
  return {
    evidence: {
      tests: { total: 500 + i, passed: 500 + i, failed: i % 7 === 0 ? 1 : 0, errors: 0, skipped: 0, durationSeconds: 3, failing: [] },
      coverage: { lines: 70 + (i % 30), branches: 65 },
      sarif: { error: i % 11 === 0 ? 1 : 0, warning: 3, note: 0, none: 0, total: 3, rules: {} },
      ci: { status: 'pass', passed: true, failedSources: [], urls: [] },
      signoffs: { qa: { by: 'q', at: '', comment: '' } },
      custom: { p95_ms: 200 + (i % 100) },
    },
    release: {
      ref: `p${i}@1.0.${i}`,
      product: `p${i}`,
      version: `1.0.${i}`,
      status: 'ready',
      author: 'a',
      changes: Array.from({ length: 20 }, (_, j) => ({
        kind: 'commit',
        type: 'feat',
        ref: `${j}`,
        title: 't',
        author: 'x',
        breaking: j === i % 40,
      })),
    },
    approvals: { required: 2, count: 2, satisfied: true, approvers: ['b', 'c'], missingRoles: [], approvals: [], explanation: '2 of 2' },
    soak: { staging: 30 },
    previousEnvironment: 'staging',
    window: null,
    dependencies: { satisfied: true, unsatisfied: [], checked: [] },
    risks: { open: 0, open_blockers: 0, blockers: [] },
    reviews: {},
    unknown: {},
  };
}

function evaluation(): Row[] {
  const releases = 2000;
  const facts = Array.from({ length: releases }, (_, i) => factsFor(i));
  for (const f of facts.slice(0, 200)) evaluateGate(f.release.ref, 'prod', CHECKS, f, compile); // warm-up
  const per: number[] = [];
  for (const f of facts) {
    const start = performance.now();
    evaluateGate(f.release.ref, 'prod', CHECKS, f, compile);
    per.push(performance.now() - start);
  }
  const s = summarize(per);
  log(`gates: evaluated ${CHECKS.length} checks for ${releases} releases`);
  return [
    {
      benchmark: 'gates',
      case: `evaluate ${CHECKS.length} checks, per release`,
      result: `median ${ms(s.median)}, p90 ${ms(s.p90)}, max ${ms(s.max)}`,
      target: `p90 < ${EVAL_TARGET_MS} ms`,
      pass: s.p90 < EVAL_TARGET_MS,
    },
  ];
}

/** Largest heap growth seen while a report streamed, sampled between chunks. */
const heap = { base: 0, peak: 0 };

async function* junitReport(): AsyncGenerator<string> {
  yield '<?xml version="1.0"?>\n<testsuites><testsuite name="big">\n';
  const block: string[] = [];
  for (let i = 0; i < TESTCASES; i++) {
    block.push(
      `<testcase classname="suite.m${i % 50}" name="case ${i}" time="0.001">${i % 1000 === 0 ? '<failure message="x"/>' : ''}</testcase>\n`,
    );
    if (block.length === 1000) {
      heap.peak = Math.max(heap.peak, process.memoryUsage().heapUsed - heap.base);
      yield block.join('');
      block.length = 0;
    }
  }
  yield '</testsuite></testsuites>\n';
}

async function ingestion(): Promise<Row[]> {
  const db = `${tempDir()}/gates-bench-${process.pid}.db`;
  removeDatabase(db);
  const services = await startServices(db, fixedClock(new Date('2026-11-26T10:00:00Z')));
  try {
    await services.config.apply('environments: [{key: prod, tier: prod}]\nproducts: [{key: shop}]\n', 'r.yaml', { dryRun: false }, 'b');
    await services.releases.create({ product: 'shop', version: '1.0.0' }, 'b');
    const times: number[] = [];
    for (let run = 0; run < 6; run++) {
      global.gc?.();
      heap.base = process.memoryUsage().heapUsed;
      const start = performance.now();
      const r = await services.evidence.add(
        { release: 'shop@1.0.0', kind: 'junit', source: `run-${run}`, content: Readable.from(junitReport()) },
        'b',
      );
      const took = performance.now() - start;
      if ((r.evidence.facts as { total: number }).total !== TESTCASES) throw new Error('wrong count');
      if (run > 0) times.push(took);
    }
    // The parser alone, for context.
    const p0 = performance.now();
    await parseJunit(junitReport());
    const parseOnly = performance.now() - p0;
    const s = summarize(times);
    return [
      {
        benchmark: 'gates',
        case: `ingest JUnit, ${TESTCASES.toLocaleString('en-US')} test cases (~6 MB)`,
        result: `median ${ms(s.median)}, max ${ms(s.max)}; heap growth ≤ ${(heap.peak / 1024 / 1024).toFixed(0)} MiB; parse alone ${ms(parseOnly)}`,
        target: `median < ${INGEST_TARGET_MS} ms`,
        pass: s.median < INGEST_TARGET_MS,
      },
    ];
  } finally {
    await services.close();
    removeDatabase(db);
  }
}

/** Scores every release of a 10,000-release portfolio through RiskService.scoreAll (queries + scoring). */
async function riskScoring(): Promise<Row[]> {
  const seeded = await seededDatabase(RISK_RELEASES);
  const db = `${tempDir()}/risk-bench-${process.pid}.db`;
  removeDatabase(db);
  copyFileSync(seeded, db);
  const services = await startServices(db, fixedClock(new Date('2026-11-26T10:00:00Z')));
  try {
    // Three changes per release (one in ten breaking, one in five a dependency update) and a failed deployment now and then.
    const releases = await services.database.db.selectFrom('releases').select(['id', 'product_id', 'version', 'created_at']).execute();
    const envId = (await services.database.db.selectFrom('environments').select('id').executeTakeFirstOrThrow()).id;
    for (let i = 0; i < releases.length; i += 300) {
      const batch = releases.slice(i, i + 300);
      await services.database.db
        .insertInto('changes')
        .values(
          batch.flatMap((r, j) =>
            [0, 1, 2].map((k) => ({
              id: `${r.id}${k}`,
              release_id: r.id,
              kind: (i + j + k) % 5 === 0 ? 'dependency' : 'commit',
              type: (i + j + k) % 5 === 0 ? 'deps' : 'feat',
              ref: `${r.id}-${k}`,
              title: 'change',
              author: 'dev',
              link: null,
              breaking: (i + j + k) % 10 === 0 ? 1 : 0,
              after_freeze: 0,
              created_at: r.created_at,
            })),
          ),
        )
        .execute();
      await services.database.db
        .insertInto('deployments')
        .values(
          batch.map((r, j) => ({
            id: `${r.id}D`,
            release_id: r.id,
            product_id: r.product_id,
            environment_id: envId,
            version: r.version,
            status: (i + j) % 7 === 0 ? 'failed' : 'succeeded',
            actor: 'ci',
            started_at: '2026-11-01T00:00:00.000Z',
            finished_at: '2026-11-01T00:10:00.000Z',
          })),
        )
        .execute();
    }
    await services.risk.scoreAll(); // warm-up
    const times: number[] = [];
    let scored = 0;
    for (let run = 0; run < 5; run++) {
      const start = performance.now();
      scored = (await services.risk.scoreAll()).length;
      times.push(performance.now() - start);
    }
    const s = summarize(times);
    log(`gates: risk-scored ${scored} releases`);
    return [
      {
        benchmark: 'gates',
        case: `risk-score every release of the portfolio (${scored.toLocaleString('en-US')} of ${RISK_RELEASES.toLocaleString('en-US')})`,
        result: `median ${ms(s.median)}, max ${ms(s.max)}`,
        target: `median < ${RISK_TARGET_MS} ms`,
        pass: s.median < RISK_TARGET_MS,
      },
    ];
  } finally {
    await services.close();
    removeDatabase(db);
  }
}

export const gates: Benchmark = {
  name: 'gates',
  description: `gate evaluation (${CHECKS.length} checks) < ${EVAL_TARGET_MS} ms per release; JUnit ingestion of ${TESTCASES} cases < 1 s; risk scoring of ${RISK_RELEASES} releases < 2 s`,
  async run() {
    return [...evaluation(), ...(await ingestion()), ...(await riskScoring())];
  },
};

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDemo } from '../../src/features/demo/demo-loader.js';
import { createWorker } from '../../src/features/plans/worker-service.js';
import type { Services } from '../../src/platform/container.js';

const DEMO = join(import.meta.dirname, '..', '..', 'examples', 'demo', 'railyard.yaml');

/**
 * Fills a database with data from every feature, written by the real services: the demo workspace (catalog,
 * releases, changes, deployments, months of audit history), then a freeze window with an approved override,
 * a planned window and a booking, a feed token, evidence, an approval, a decided review, a risk, and a
 * promotion whose run a worker executes to the end (runs, step runs, step logs, a worker, the outbox). Text
 * with accents, emoji, quotes and newlines goes in too: the dump must carry it byte for byte.
 */
export async function fillWorkspace(s: Services): Promise<{ run: string }> {
  const demo = await loadDemo(s, DEMO);
  if (!demo.loaded) throw new Error('fillWorkspace needs an empty database');
  // The demo's prod takes approvals from here on: a re-apply of its file with one rule more.
  const config = readFileSync(DEMO, 'utf8').replace('    plan: production\n', '    plan: production\n    approvals: { min: 1 }\n');
  await s.config.apply(config, 'railyard.yaml', { dryRun: false }, 'alice');
  const release = 'design-system@9.9.0';
  await s.releases.create({ product: 'design-system', version: '9.9.0', title: 'Zoë’s "tokens" release 🚂\nsecond line' }, 'alice');
  await s.releases.addChanges(
    release,
    [{ kind: 'commit', type: 'feat', ref: 'abc1234', title: 'naïve café colours — ünïcödé ✓', author: 'zoë' }],
    'alice',
  );
  const now = Date.now();
  const iso = (hours: number) => new Date(now + hours * 3_600_000).toISOString();
  await s.calendar.createWindow(
    {
      key: 'quiet-week',
      kind: 'freeze',
      severity: 'hard',
      environments: ['prod'],
      start: iso(24 * 30).slice(0, 10),
      end: iso(24 * 37).slice(0, 10),
    },
    'alice',
  );
  const override = await s.calendar.requestOverride(
    {
      window: 'quiet-week',
      environment: 'prod',
      product: 'design-system',
      from: iso(24 * 30 + 1),
      until: iso(24 * 30 + 5),
      reason: 'hotfix INC-7',
    },
    'carol',
  );
  await s.calendar.approveOverride(override.id, 'dave');
  await s.schedule.plan({ release, environment: 'staging', start: iso(48), end: iso(50) }, 'alice');
  await s.schedule.book({ release, environment: 'staging', start: iso(48), end: iso(49), note: 'first slot' }, 'alice');
  await s.calendar.createFeedToken('alice');
  await s.evidence.add({ release, kind: 'ci', facts: { status: 'pass', url: 'https://ci.example.com/runs/1' } }, 'ci');
  await s.evidence.add({ release, kind: 'custom', source: 'perf', facts: { p99ms: 12.5, budget: 'ok', nested: { a: [1, 2] } } }, 'ci');
  await s.approvals.approve({ release, environment: 'prod', comment: 'looks good ✓' }, 'bob');
  await s.reviews.open({ release, kind: 'go-no-go' }, 'alice');
  await s.reviews.vote({ release, kind: 'go-no-go', vote: 'go', comment: 'ship it' }, 'bob');
  await s.reviews.decide(release, 'go-no-go', 'decided in the weekly meeting', 'alice');
  await s.risk.add(release, { title: 'colour contrast regressions', likelihood: 2, impact: 3, mitigation: 'visual diff' }, 'alice');

  const run = await s.runs.promote({ release, environment: 'dev' }, 'alice');
  const worker = createWorker(s, { concurrency: 4 });
  await worker.start();
  try {
    await s.runs.waitFor(run.id, 60_000);
  } finally {
    await worker.stop();
  }
  return { run: run.id };
}

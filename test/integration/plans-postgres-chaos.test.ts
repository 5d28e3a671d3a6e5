import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/features/plans/run.js';
import { type Services, startServices } from '../../src/platform/container.js';
import { type RunningServer, startServer, type WorkerProcess } from '../support/cli.js';
import { freshDatabaseUrl } from '../support/databases.js';
import {
  eventually,
  FIVE_STEPS,
  fiveStepPlanYaml,
  type Ledger,
  ledgerProblems,
  openRunCount,
  startLedger,
  type WorkerFleet,
  workerFleet,
  writeEffectScript,
} from '../support/plans.js';
import { auditedOverlap, maxOverlap } from '../support/queue.js';
import { seededRandom } from '../support/random.js';

/**
 * The Postgres issue's first reliability test: the scaled-out deployment — two `railyard serve --no-worker`
 * processes and four `railyard worker` processes on one PostgreSQL database — takes 200 promotions of a
 * five-step plan, posted at once to both servers, while a worker holding steps is killed with SIGKILL every
 * few seconds and replaced. Every run must succeed, each step's effect must be applied exactly once per
 * idempotency key, and no environment may ever hold more active promotions than its concurrency (one, for
 * most environments), nor two of one product. PostgreSQL only: it runs where RAILYARD_TEST_POSTGRES_URL names
 * a server (CI sets it); the SQLite counterpart is plans-kill-workers.test.ts.
 * Seeded: RAILYARD_CHAOS_SEED=<n> replays a run's posting order and kill timings.
 */
const PRODUCTS = 5;
const VERSIONS = 4;
/** Most environments take one promotion at a time (the default); two take a few. */
const ENVIRONMENTS = [
  { key: 'dev', tier: 'dev', concurrency: 3 },
  { key: 'test', tier: 'test', concurrency: 2 },
  { key: 'qa', tier: 'test', concurrency: 1 },
  { key: 'uat', tier: 'staging', concurrency: 1 },
  { key: 'staging-eu', tier: 'staging', concurrency: 1 },
  { key: 'staging-us', tier: 'staging', concurrency: 1 },
  { key: 'prod-eu', tier: 'prod', concurrency: 1 },
  { key: 'prod-us', tier: 'prod', concurrency: 1 },
  { key: 'prod-ap', tier: 'prod', concurrency: 1 },
  { key: 'prod-sa', tier: 'prod', concurrency: 1 },
] as const;
const PROMOTIONS = PRODUCTS * VERSIONS * ENVIRONMENTS.length;
const WORKERS = 4;
const LEASE = '2s';
/** How long workers are killed for at most; a run not finished then has this long again without kills. */
const CHAOS_MS = 120_000;

const product = (i: number) => `svc-${String(i).padStart(2, '0')}`;

function config(effect: string, port: number): string {
  const environments = ENVIRONMENTS.map((e) => `  - { key: ${e.key}, tier: ${e.tier}, plan: five, concurrency: ${e.concurrency} }`);
  const products = Array.from({ length: PRODUCTS }, (_, i) => `  - key: ${product(i)}`);
  return `${fiveStepPlanYaml('five', effect, port)}environments:\n${environments.join('\n')}\nproducts:\n${products.join('\n')}\n`;
}

describe.runIf(process.env.RAILYARD_TEST_POSTGRES_URL)('2 servers and 4 workers on PostgreSQL, workers killed with -9', () => {
  const seed = Number(process.env.RAILYARD_CHAOS_SEED ?? Date.now() % 1_000_000);
  const rand = seededRandom(seed);
  let dir: string;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let ledger: Ledger | undefined;
  let services: Services | undefined;
  let servers: RunningServer[] = [];
  let fleet: WorkerFleet | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-pg-chaos-'));
    database = await freshDatabaseUrl('postgres');
    // The receiver takes a little while to answer, so that kills land while effects are in flight.
    ledger = await startLedger({ delayMs: () => Math.floor(rand() * 40) });
    services = await startServices(database.url);
    await services.config.apply(config(writeEffectScript(dir), ledger.port), 'railyard.yaml', { dryRun: false }, 'admin');
    for (let p = 0; p < PRODUCTS; p++) {
      for (let v = 0; v < VERSIONS; v++) await services.releases.create({ product: product(p), version: `1.${v}.0` }, 'admin');
    }
    const url = database.url;
    fleet = workerFleet(url, ['--lease', LEASE, '--concurrency', '8', '--grace', '1s'], dir, services.database.db);
    const workers = fleet;
    const [a, b] = await Promise.all([
      startServer(['--db', url, '--no-worker'], dir),
      startServer(['--db', url, '--no-worker'], dir),
      ...Array.from({ length: WORKERS }, () => workers.start()),
    ]);
    servers = [a as RunningServer, b as RunningServer];
  }, 120_000);

  afterAll(async () => {
    await Promise.all([fleet?.stop(1_000), ...servers.map((s) => s.stop())]);
    await services?.close();
    await ledger?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every run succeeds, every effect is applied once per key, and no environment exceeds its concurrency', async () => {
    const workers = fleet as WorkerFleet;
    const s = services as Services;
    const db = s.database.db;
    const started = Date.now();

    // Every (release, environment) pair once, in a shuffled order, alternating between the two servers.
    const promotions = ENVIRONMENTS.flatMap((e) =>
      Array.from({ length: PRODUCTS * VERSIONS }, (_, i) => ({
        release: `${product(i % PRODUCTS)}@1.${Math.floor(i / PRODUCTS)}.0`,
        environment: e.key,
      })),
    );
    for (let i = promotions.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [promotions[i], promotions[j]] = [promotions[j] as (typeof promotions)[number], promotions[i] as (typeof promotions)[number]];
    }
    let posting = true;
    let postedIn = 0;
    const responses = Promise.all(
      promotions.map(async (body, i) => {
        const response = await fetch(`${servers[i % 2]?.url}/api/v1/promotions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'railyard-actor': `user${i % 7}` },
          body: JSON.stringify(body),
        });
        return { status: response.status, body: (await response.json()) as Run };
      }),
    ).finally(() => {
      postedIn = Date.now() - started;
      posting = false;
    });

    // Chaos, while the promotions come in and after: every two to four seconds, SIGKILL a worker that holds
    // steps right then, and start another in its place, until every run has finished (or the time is up).
    let kills = 0;
    while (posting || (await openRunCount(db)) > 0) {
      if (Date.now() - started > CHAOS_MS) break;
      await new Promise((r) => setTimeout(r, 2_000 + rand() * 2_000));
      const victims = await workers.holders();
      if (victims.length === 0) continue;
      await workers.killAndReplace(victims[Math.floor(rand() * victims.length)] as WorkerProcess);
      kills++;
    }

    const answered = await responses;
    const refused = answered.filter((r) => r.status !== 201).map((r) => `${r.status} ${JSON.stringify(r.body)}`);
    expect(refused, servers.map((sv) => sv.output()).join('\n')).toEqual([]);
    const ids = answered.map((r) => r.body.id);
    expect(new Set(ids).size).toBe(PROMOTIONS);
    const runs = await eventually(
      async () => (await openRunCount(db, ids)) === 0 && (await s.runs.list({ limit: 1000 })).filter((r) => ids.includes(r.id)),
      'all runs to finish',
      CHAOS_MS / 2,
    ).catch(async (error: unknown) => {
      const open = await db.selectFrom('runs').select(['id', 'status', 'environment']).where('status', '!=', 'succeeded').execute();
      throw new Error(
        `${(error as Error).message} (seed ${seed}): ${open.length} runs open, e.g. ${JSON.stringify(open.slice(0, 3))}\n${workers.output()}`,
      );
    });
    const elapsed = Date.now() - started;

    // None lost, none failed: steps whose worker died are taken over by another.
    expect(runs).toHaveLength(PROMOTIONS);
    expect(runs.filter((r) => r.status !== 'succeeded').map((r) => `${r.id} ${r.status}: ${r.error}`)).toEqual([]);
    const steps = await db.selectFrom('step_runs').select(['id', 'status', 'lost_leases']).execute();
    expect(steps).toHaveLength(PROMOTIONS * FIVE_STEPS.length);
    expect(steps.filter((st) => st.status !== 'succeeded')).toEqual([]);
    const deployments = await db.selectFrom('deployments').select(['status', 'release_id', 'environment_id']).execute();
    expect(deployments).toHaveLength(PROMOTIONS);
    expect(new Set(deployments.map((d) => `${d.release_id} ${d.environment_id}`)).size).toBe(PROMOTIONS);
    expect(deployments.every((d) => d.status === 'succeeded')).toBe(true);

    // Exactly once per idempotency key, in dependency order.
    expect(ledgerProblems(ledger as Ledger, ids)).toEqual([]);

    // Concurrency limits held across both servers and every worker: replayed from the audit chain (commit
    // order), and from the runs' own start and finish times.
    const overlap = await auditedOverlap(db);
    expect(overlap.startedTwice).toEqual([]);
    for (const e of ENVIRONMENTS) {
      expect(overlap.perEnvironment.get(e.key), e.key).toBeLessThanOrEqual(e.concurrency);
      expect(maxOverlap(runs.filter((r) => r.environment === e.key))).toBeLessThanOrEqual(e.concurrency);
    }
    expect(overlap.perProduct).toBe(1);
    expect(maxOverlap(runs, (a, b) => a.environment === b.environment && a.product === b.product)).toBe(1);
    // The limit was reached, not merely respected by running too little at once.
    expect(overlap.perEnvironment.get('dev')).toBe(3);

    // Each step succeeded once in the audit trail, whatever happened to its workers, and the chain is intact.
    const succeeded = await db.selectFrom('audit_events').select('subject_id').where('action', '=', 'step.succeeded').execute();
    expect(succeeded).toHaveLength(PROMOTIONS * FIVE_STEPS.length);
    expect(new Set(succeeded.map((e) => e.subject_id)).size).toBe(PROMOTIONS * FIVE_STEPS.length);
    const audit = await s.audit.verify();
    expect(audit.firstBroken).toBeNull();
    expect(audit.ok).toBe(true);

    const lostLeases = steps.reduce((n, st) => n + st.lost_leases, 0);
    const repeats = (ledger as Ledger).repeats();
    console.log(
      `postgres chaos seed ${seed}: ${kills} workers killed, ${lostLeases} leases lost and taken over, ${repeats} effect calls repeated; ` +
        `${PROMOTIONS} promotions answered in ${postedIn} ms, their runs through 2 servers and ${WORKERS} workers finished in ${elapsed} ms`,
    );
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(lostLeases).toBeGreaterThan(0);

    // The survivors stop gracefully.
    const survivors = workers.live();
    expect(survivors).toHaveLength(WORKERS);
    expect(await Promise.all(survivors.map((w) => w.stop()))).toEqual(survivors.map(() => 0));
  }, 240_000);
});

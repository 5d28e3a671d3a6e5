import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Services, startServices } from '../../src/platform/container.js';
import type { WorkerProcess } from '../support/cli.js';
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
import { seededRandom } from '../support/random.js';

/**
 * The Plans issue's first reliability test: `railyard worker` processes are killed with SIGKILL at random moments
 * while 100 promotions of a 5-step plan run, and restarted. Every run must reach a final state, and the effects
 * ledger must show each step's effect applied exactly once per idempotency key.
 * Seeded: RAILYARD_CHAOS_SEED=<n> replays a run's kill timings.
 */
const RUNS = 100;
const KILLS = 8;
const LEASE = '1s';

function config(effect: string, port: number): string {
  const products = Array.from({ length: RUNS }, (_, i) => `  - key: ${product(i)}`);
  return `${fiveStepPlanYaml('five', effect, port)}environments:
  - { key: staging, tier: staging, plan: five, concurrency: ${RUNS} }
products:
${products.join('\n')}
`;
}

const product = (i: number) => `svc-${String(i).padStart(3, '0')}`;

describe('kill -9 of workers during 100 concurrent promotions', () => {
  const seed = Number(process.env.RAILYARD_CHAOS_SEED ?? Date.now() % 1_000_000);
  const rand = seededRandom(seed);
  let dir: string;
  let dbPath: string;
  let ledger: Ledger;
  let services: Services;
  let fleet: WorkerFleet | undefined;

  beforeAll(async () => {
    // A kill -9 loses only what the process had not handed to the kernel, so the disk's fsync cost (synchronous=FULL)
    // adds nothing to what this test checks: the database lives in memory-backed /dev/shm where there is one.
    dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'railyard-chaos-'));
    dbPath = join(dir, 'railyard.db');
    // The receiver takes a little while to answer, so that kills land while effects are in flight.
    ledger = await startLedger({ delayMs: () => Math.floor(rand() * 40) });
    services = await startServices(dbPath);
    await services.config.apply(config(writeEffectScript(dir), ledger.port), 'railyard.yaml', { dryRun: false }, 'admin');
    for (let i = 0; i < RUNS; i++) await services.releases.create({ product: product(i), version: '1.0.0' }, 'admin');
    fleet = workerFleet(dbPath, ['--lease', LEASE, '--concurrency', '16', '--grace', '1s'], dir, services.database.db);
  });

  afterAll(async () => {
    await fleet?.stop(1_000);
    await services?.close();
    await ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every run reaches a final state and every effect is applied exactly once per key', async () => {
    const started = Date.now();
    const workers = fleet as WorkerFleet;
    await Promise.all([workers.start(), workers.start()]);
    let promoting = true;
    const promotions = Promise.all(
      Array.from({ length: RUNS }, (_, i) => services.runs.promote({ release: `${product(i)}@1.0.0`, environment: 'staging' }, 'alice')),
    ).finally(() => {
      promoting = false;
    });

    // Chaos, while the promotions are still coming in and after: at random moments, SIGKILL a worker that holds
    // steps right then, and start another in its place.
    const db = services.database.db;
    let kills = 0;
    while (kills < KILLS) {
      await new Promise((r) => setTimeout(r, 150 + rand() * 500));
      const victims = await workers.holders();
      if (victims.length === 0) {
        if (!promoting && (await allFinal())) break;
        continue;
      }
      await workers.killAndReplace(victims[Math.floor(rand() * victims.length)] as WorkerProcess);
      kills++;
    }

    const runs = await promotions;
    expect(new Set(runs.map((r) => r.id)).size).toBe(RUNS);
    const finals = await eventually(
      async () => (await allFinal()) && (await db.selectFrom('runs').selectAll().execute()),
      'all runs to finish',
      45_000,
    ).catch(async (error: unknown) => {
      const open = await db
        .selectFrom('runs')
        .select(['id', 'status'])
        .where('status', 'not in', ['succeeded', 'failed', 'rolled_back', 'cancelled'])
        .execute();
      throw new Error(
        `${(error as Error).message}: ${open.length} runs open, e.g. ${JSON.stringify(open.slice(0, 3))}\n${workers.output()}`,
      );
    });
    const elapsed = Date.now() - started;

    // None lost, none stuck, none failed: idempotent steps are simply taken over.
    expect(finals).toHaveLength(RUNS);
    expect(finals.filter((r) => r.status !== 'succeeded')).toEqual([]);
    const deployments = await db.selectFrom('deployments').select(['id', 'status', 'release_id']).execute();
    expect(deployments).toHaveLength(RUNS);
    expect(new Set(deployments.map((d) => d.release_id)).size).toBe(RUNS);
    expect(deployments.every((d) => d.status === 'succeeded')).toBe(true);
    const steps = await db.selectFrom('step_runs').selectAll().execute();
    expect(steps.filter((s) => s.status !== 'succeeded')).toEqual([]);

    // The ledger: every expected key exactly once, no other key; each step's first effect after its needs' first.
    expect(
      ledgerProblems(
        ledger,
        finals.map((r) => r.id),
      ),
    ).toEqual([]);

    // Each step succeeded once in the audit trail, whatever happened to its workers, and the chain is intact.
    const succeeded = await db.selectFrom('audit_events').select('subject_id').where('action', '=', 'step.succeeded').execute();
    expect(succeeded).toHaveLength(RUNS * FIVE_STEPS.length);
    expect(new Set(succeeded.map((e) => e.subject_id)).size).toBe(RUNS * FIVE_STEPS.length);
    expect((await services.audit.verify()).ok).toBe(true);

    const lostLeases = steps.reduce((n, s) => n + s.lost_leases, 0);
    const repeats = ledger.repeats();
    console.log(
      `chaos seed ${seed}: ${kills} workers killed, ${lostLeases} leases lost and taken over, ${repeats} effect calls repeated ` +
        `(${ledger.entries.size} keys, ${repeats + ledger.entries.size} calls); ${RUNS} runs finished in ${elapsed} ms`,
    );
    // The runs may all finish before every planned kill (a fast machine): enough workers must have died mid-run.
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(lostLeases).toBeGreaterThan(0);

    // The survivors stop gracefully.
    const survivors = workers.live();
    expect(await Promise.all(survivors.map((w) => w.stop()))).toEqual(survivors.map(() => 0));
  }, 90_000);

  const allFinal = async () => (await openRunCount(services.database.db)) === 0;
});

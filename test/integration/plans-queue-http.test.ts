import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/features/plans/run.js';
import { type Services, startServices } from '../../src/platform/container.js';
import { type RunningServer, startServer, startWorkerProcess, type WorkerProcess } from '../support/cli.js';
import { allFinished, maxOverlap, sampleActiveRuns, startOrder } from '../support/queue.js';

/**
 * The third reliability test again, across processes: 200 promotions of one product posted at once to
 * `railyard serve --no-worker` while a `railyard worker` process executes them, all on one SQLite file. Runs
 * are admitted in both processes at once: by a promotion in the server when the slot is free, and by the
 * worker when a run finishes. Never two active at once; all complete, in queue order.
 */
const COUNT = 200;

describe('200 promotions posted at once to railyard serve, executed by a worker process', () => {
  let dir: string;
  let dbPath: string;
  let services: Services;
  let server: RunningServer | undefined;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'railyard-queue-'));
    dbPath = join(dir, 'railyard.db');
    services = await startServices(dbPath);
    await services.config.apply(
      'plans:\n  - { key: short, steps: [{ key: deploy, run: ["true"] }] }\nenvironments:\n  - { key: prod, tier: staging, plan: short }\nproducts:\n  - key: shop\n',
      'railyard.yaml',
      { dryRun: false },
      'admin',
    );
    await Promise.all(Array.from({ length: COUNT }, (_, i) => services.releases.create({ product: 'shop', version: `2.0.${i}` }, 'admin')));
    [server, worker] = await Promise.all([
      startServer(['--db', dbPath, '--no-worker'], dir),
      startWorkerProcess(dbPath, ['--lease', '5s'], dir),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([server?.stop(), worker?.stop(2_000)]);
    await services?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never runs two at once, and runs them all in queue order', async () => {
    const sampler = sampleActiveRuns(services.database.db, 'prod');
    const responses = await Promise.all(
      Array.from({ length: COUNT }, (_, i) =>
        fetch(`${server?.url}/api/v1/promotions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'railyard-actor': `user${i % 5}` },
          body: JSON.stringify({ release: `shop@2.0.${i}`, environment: 'prod' }),
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 201));
    const promoted = (await Promise.all(responses.map((r) => r.json()))) as Run[];
    const runs = await allFinished(services, promoted, 90_000);
    const seen = await sampler.stop();

    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
    expect(seen.maxPerProduct).toBeLessThanOrEqual(1);
    expect(maxOverlap(runs)).toBe(1);
    const byId = [...runs].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(await startOrder(services, new Set(byId.map((r) => r.id)))).toEqual(byId.map((r) => r.id));
    for (let i = 1; i < byId.length; i++) {
      expect(Date.parse(byId[i]?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(byId[i - 1]?.finishedAt ?? ''));
    }
    const owners = await services.database.db
      .selectFrom('audit_events')
      .select('actor')
      .distinct()
      .where('action', '=', 'step.succeeded')
      .execute();
    expect(owners).toEqual([{ actor: worker?.id }]);
    expect(await services.deployments.list({ product: 'shop', limit: 1000 })).toHaveLength(COUNT);
    expect((await services.audit.verify()).ok).toBe(true);
  }, 120_000);
});

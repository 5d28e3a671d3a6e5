import { readFileSync } from 'node:fs';
import { fixedClock } from '../../platform/clock.js';
import { createServices, type Services } from '../../platform/container.js';
import { demoHistory } from './demo-history.js';

export interface DemoResult {
  loaded: boolean;
  products: number;
  releases: number;
  deployments: number;
}

/**
 * Fills an empty database with the demo workspace: the config in `configFile`, then months of dated history
 * replayed through the real services (so the audit trail is real too). A database that already has products
 * is left alone.
 */
export async function loadDemo(services: Services, configFile: string): Promise<DemoResult> {
  if ((await services.catalog.products()).length > 0) return { loaded: false, products: 0, releases: 0, deployments: 0 };
  const now = services.clock.now();
  const clock = fixedClock(new Date(now.getTime() - 125 * 24 * 3_600_000));
  const replay = createServices(services.database, clock);
  await replay.config.apply(readFileSync(configFile, 'utf8'), 'examples/demo/railyard.yaml', { dryRun: false }, 'demo');

  const [products, tracks, trains] = await Promise.all([replay.catalog.products(), replay.catalog.tracks(), replay.catalog.trains()]);
  const history = demoHistory(
    products.map((p) => ({
      key: p.key,
      environments: tracks.find((t) => t.key === p.track)?.environments ?? [],
      train: trains.find((t) => t.products.includes(p.key))?.key,
    })),
    now,
  );
  let releases = 0;
  let deployments = 0;
  for (const step of history) {
    clock.set(step.at);
    switch (step.kind) {
      case 'release':
        await replay.releases.create(
          {
            product: step.product,
            version: step.version,
            title: step.title,
            targetDate: step.targetDate,
            author: step.author,
            train: step.train,
          },
          step.author,
        );
        releases++;
        break;
      case 'changes':
        await replay.releases.addChanges(
          step.ref,
          step.changes.map((c) => ({ kind: 'pull_request', ...c })),
          step.actor,
        );
        break;
      case 'status':
        await replay.releases.setStatus(step.ref, step.status, step.actor);
        break;
      case 'deployment':
        await replay.deployments.record({ release: step.ref, environment: step.environment, status: step.status }, step.actor);
        deployments++;
        break;
    }
  }
  return { loaded: true, products: products.length, releases, deployments };
}

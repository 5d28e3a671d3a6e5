import semver from 'semver';
import type { Db } from '../../platform/db/database.js';
import type { Deployment } from '../deployments/deployment.js';
import { latestDeployments } from '../deployments/deployment-store.js';
import type { Environment } from '../environments/environment.js';
import { listEnvironments } from '../environments/environment-store.js';
import { listProducts } from '../products/product-store.js';
import type { Release } from '../releases/release.js';

export interface PortfolioCell {
  /** The version running there (the newest successful deployment), or null when none succeeded yet. */
  version: string | null;
  deployedAt: string | null;
  /** The newest attempt, when it differs from the running version (e.g. a failed or rolled-back promotion). */
  lastAttempt: { version: string; status: Deployment['status']; at: string } | null;
}

export interface PortfolioRow {
  product: string;
  name: string;
  track: string | null;
  /** The open release (not released or cancelled) that ships next: the lowest version among them. */
  nextRelease: Pick<Release, 'version' | 'status' | 'targetDate' | 'title'> | null;
  cells: Record<string, PortfolioCell | null>;
}

export interface Portfolio {
  environments: Pick<Environment, 'key' | 'name' | 'tier' | 'protected'>[];
  products: PortfolioRow[];
}

/** The portfolio board: every product against every environment, with what runs where and what comes next. */
export class PortfolioService {
  constructor(private readonly deps: { db: Db }) {}

  async board(): Promise<Portfolio> {
    const { db } = this.deps;
    const [environments, products, running, attempts, upcoming] = await Promise.all([
      listEnvironments(db),
      listProducts(db),
      latestDeployments(db, true),
      latestDeployments(db, false),
      db
        .selectFrom('releases as r')
        .innerJoin('products as p', 'p.id', 'r.product_id')
        .select(['p.key as product', 'r.version', 'r.status', 'r.target_date', 'r.title'])
        .where('r.status', 'in', ['planned', 'in_progress', 'ready'])
        .execute(),
    ]);
    const cellKey = (d: Deployment) => `${d.product}\u0000${d.environment}`;
    const runningBy = new Map(running.map((d) => [cellKey(d), d]));
    const attemptBy = new Map(attempts.map((d) => [cellKey(d), d]));
    const nextBy = new Map<string, PortfolioRow['nextRelease']>();
    for (const r of upcoming) {
      const current = nextBy.get(r.product);
      if (!current || semver.lt(r.version, current.version)) {
        nextBy.set(r.product, { version: r.version, status: r.status as Release['status'], targetDate: r.target_date, title: r.title });
      }
    }
    return {
      environments: environments.map((e) => ({ key: e.key, name: e.name, tier: e.tier, protected: e.protected })),
      products: products.map((p) => ({
        product: p.key,
        name: p.name,
        track: p.track,
        nextRelease: nextBy.get(p.key) ?? null,
        cells: Object.fromEntries(
          environments.map((e) => {
            const key = `${p.key}\u0000${e.key}`;
            const run = runningBy.get(key);
            const attempt = attemptBy.get(key);
            if (!run && !attempt) return [e.key, null];
            const last =
              attempt && attempt.id !== run?.id
                ? { version: attempt.version, status: attempt.status, at: attempt.finishedAt ?? attempt.startedAt }
                : null;
            return [
              e.key,
              run
                ? { version: run.version, deployedAt: run.finishedAt ?? run.startedAt, lastAttempt: last }
                : { version: '', deployedAt: '', lastAttempt: last },
            ];
          }),
        ),
      })),
    };
  }
}

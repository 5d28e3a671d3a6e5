import { inChunks, type Queryable } from '../../platform/db/database.js';
import { formatRef } from '../releases/release.js';
import type { Deployment, DeploymentStatus } from './deployment.js';

export interface DeploymentQuery {
  product?: string;
  environment?: string;
  releaseId?: string;
  before?: string;
  limit: number;
}

export interface NewDeployment {
  id: string;
  releaseId: string;
  productId: string;
  environmentId: string;
  version: string;
  status: DeploymentStatus;
  actor: string;
  startedAt: string;
  finishedAt: string | null;
}

export async function insertDeployment(db: Queryable, d: NewDeployment): Promise<void> {
  await insertDeployments(db, [d]);
}

/** Several deployments in as few statements as the chunk size allows (runs finishing in one transaction). */
export async function insertDeployments(db: Queryable, rows: readonly NewDeployment[]): Promise<void> {
  await inChunks(rows, (chunk) =>
    db
      .insertInto('deployments')
      .values(
        chunk.map((d) => ({
          id: d.id,
          release_id: d.releaseId,
          product_id: d.productId,
          environment_id: d.environmentId,
          version: d.version,
          status: d.status,
          actor: d.actor,
          started_at: d.startedAt,
          finished_at: d.finishedAt,
        })),
      )
      .execute(),
  );
}

function deploymentQuery(db: Queryable) {
  return db
    .selectFrom('deployments as d')
    .innerJoin('products as p', 'p.id', 'd.product_id')
    .innerJoin('environments as e', 'e.id', 'd.environment_id')
    .select(['d.id', 'p.key as product', 'e.key as environment', 'd.version', 'd.status', 'd.actor', 'd.started_at', 'd.finished_at']);
}

type DeploymentRow = Awaited<ReturnType<ReturnType<typeof deploymentQuery>['executeTakeFirstOrThrow']>>;

function toDeployment(r: DeploymentRow): Deployment {
  return {
    id: r.id,
    product: r.product,
    environment: r.environment,
    version: r.version,
    release: formatRef(r.product, r.version),
    status: r.status as DeploymentStatus,
    actor: r.actor,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export async function listDeployments(db: Queryable, q: DeploymentQuery): Promise<Deployment[]> {
  let query = deploymentQuery(db).orderBy('d.id', 'desc').limit(q.limit);
  if (q.product) query = query.where('p.key', '=', q.product);
  if (q.environment) query = query.where('e.key', '=', q.environment);
  if (q.releaseId) query = query.where('d.release_id', '=', q.releaseId);
  if (q.before) query = query.where('d.id', '<', q.before);
  return (await query.execute()).map(toDeployment);
}

/** The newest deployment (or newest successful one) of each product in each environment. */
export async function latestDeployments(db: Queryable, onlySucceeded = false): Promise<Deployment[]> {
  let inner = db
    .selectFrom('deployments')
    .select((eb) => ['product_id', 'environment_id', eb.fn.max('id').as('id')])
    .groupBy(['product_id', 'environment_id']);
  if (onlySucceeded) inner = inner.where('status', '=', 'succeeded');
  const latest = inner.as('l');
  return (await deploymentQuery(db).innerJoin(latest, 'l.id', 'd.id').execute()).map(toDeployment);
}

import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { AuditLog } from '../audit/audit-service.js';
import { parseRef } from '../releases/release.js';
import { findRelease } from '../releases/release-store.js';
import { DEPLOYMENT_STATUSES, type Deployment, type DeploymentStatus } from './deployment.js';
import { type DeploymentQuery, insertDeployment, listDeployments } from './deployment-store.js';

export interface RecordDeployment {
  release: string;
  environment: string;
  status: DeploymentStatus;
  startedAt?: string;
  finishedAt?: string;
}

export class DeploymentService {
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog }) {}

  list(q: DeploymentQuery): Promise<Deployment[]> {
    return listDeployments(this.deps.db, q);
  }

  /**
   * Records that a release reached (or failed to reach) an environment. The plans engine calls this when a
   * run ends; it is also how deployments made outside Railyard are reported.
   */
  async record(input: RecordDeployment, actor: string): Promise<Deployment> {
    if (!(DEPLOYMENT_STATUSES as readonly string[]).includes(input.status)) {
      throw new AppError('bad_request', `status: expected one of ${DEPLOYMENT_STATUSES.join('|')}`);
    }
    const { product, version } = parseRef(input.release);
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (trx) => {
      const release = await findRelease(trx, product, version);
      if (!release) throw notFound('release', input.release);
      if (release.status === 'cancelled') {
        throw new AppError('conflict', `release ${release.ref} is cancelled and cannot be deployed`);
      }
      const ids = await trx
        .selectFrom('releases as r')
        .innerJoin('environments as e', (j) => j.on('e.key', '=', input.environment).on('e.archived_at', 'is', null))
        .select(['r.product_id', 'e.id as environment_id'])
        .where('r.id', '=', release.id)
        .executeTakeFirst();
      if (!ids) throw notFound('environment', input.environment);
      const finishedAt = input.finishedAt ?? now.toISOString();
      const startedAt = input.startedAt ?? finishedAt;
      const id = newId(new Date(finishedAt));
      await insertDeployment(trx, {
        id,
        releaseId: release.id,
        productId: ids.product_id,
        environmentId: ids.environment_id,
        version,
        status: input.status,
        actor,
        startedAt,
        finishedAt,
      });
      const deployment: Deployment = {
        id,
        product,
        environment: input.environment,
        version,
        release: release.ref,
        status: input.status,
        actor,
        startedAt,
        finishedAt,
      };
      await this.deps.audit.record(trx, {
        actor,
        action: 'deployment.recorded',
        subjectType: 'deployment',
        subjectId: id,
        after: deployment,
      });
      return deployment;
    });
  }
}

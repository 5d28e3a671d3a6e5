import type { Clock } from '../../platform/clock.js';
import { type Db, isUniqueViolation, type Queryable } from '../../platform/db/database.js';
import { AppError, type ErrorDetail, formatDetail, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { AuditLog } from '../audit/audit-service.js';
import type { Deployment } from '../deployments/deployment.js';
import { listDeployments } from '../deployments/deployment-store.js';
import { findProductId } from '../products/product-store.js';
import { CHANGE_KINDS, CHANGE_TYPES, type Change, type NewChange } from './change.js';
import {
  assertTransition,
  formatRef,
  isFinal,
  isReleaseStatus,
  isScopeFrozen,
  parseRef,
  RELEASE_STATUSES,
  type Release,
  type ReleaseStatus,
  targetDateProblem,
  versionProblem,
} from './release.js';
import {
  findRelease,
  insertChanges,
  insertRelease,
  listChanges,
  listReleases,
  type ReleaseQuery,
  updateReleaseStatus,
} from './release-store.js';
import { findTrainId } from './train-store.js';

export interface CreateRelease {
  product: string;
  version: string;
  title?: string;
  targetDate?: string;
  author?: string;
  train?: string;
  notes?: string;
  /** The release's scope, recorded with it in one transaction: what `release cut` computes from git. */
  changes?: NewChange[];
}

export interface ReleaseDetail extends Release {
  changes: Change[];
  deployments: Deployment[];
}

export class ReleaseService {
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog }) {}

  async create(input: CreateRelease, actor: string): Promise<Release> {
    const problems: ErrorDetail[] = [];
    const vp = versionProblem(input.version);
    if (vp) problems.push({ path: 'version', message: vp });
    const tp = input.targetDate ? targetDateProblem(input.targetDate) : null;
    if (tp) problems.push({ path: 'targetDate', message: tp });
    if (problems.length) throw new AppError('validation_failed', problems.map(formatDetail).join('; '), problems);
    assertChanges(input.changes ?? []);

    const now = this.deps.clock.now();
    const ref = formatRef(input.product, input.version);
    const created = this.deps.db.transaction().execute(async (trx) => {
      const productId = await findProductId(trx, input.product);
      if (!productId) throw notFound('product', input.product);
      if (await findRelease(trx, input.product, input.version)) {
        throw new AppError('conflict', `release ${ref} already exists`);
      }
      const trainId = input.train ? await findTrainId(trx, input.train) : null;
      if (input.train && !trainId) throw notFound('train', input.train);
      const id = newId(now);
      await insertRelease(trx, {
        id,
        product_id: productId,
        version: input.version,
        title: input.title ?? ref,
        status: 'planned',
        target_date: input.targetDate ?? null,
        author: input.author ?? actor,
        train_id: trainId ?? null,
        notes: input.notes ?? '',
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
        released_at: null,
      });
      const release = await this.mustFind(trx, ref);
      await this.deps.audit.record(trx, { actor, action: 'release.created', subjectType: 'release', subjectId: id, after: release });
      if (input.changes?.length) await this.recordChanges(trx, release, newChanges(input.changes, now, false), false, actor);
      return release;
    });
    // Two requests creating the same release at once both pass the check above; the database keeps one.
    return created.catch((error: unknown) => {
      throw isUniqueViolation(error) ? new AppError('conflict', `release ${ref} already exists`) : error;
    });
  }

  async list(q: Omit<ReleaseQuery, 'status'> & { status?: string }): Promise<Release[]> {
    if (q.status !== undefined && !isReleaseStatus(q.status)) {
      throw new AppError('bad_request', `status: expected one of ${RELEASE_STATUSES.join('|')}, got '${q.status}'`);
    }
    return listReleases(this.deps.db, { ...q, status: q.status as ReleaseStatus | undefined });
  }

  async show(ref: string): Promise<ReleaseDetail> {
    const release = await this.mustFind(this.deps.db, ref);
    const [changes, deployments] = await Promise.all([
      listChanges(this.deps.db, release.id),
      listDeployments(this.deps.db, { releaseId: release.id, limit: 100 }),
    ]);
    return { ...release, changes, deployments };
  }

  async setStatus(ref: string, status: string, actor: string, reason?: string): Promise<Release> {
    if (!isReleaseStatus(status)) {
      throw new AppError('bad_request', `status: expected one of ${RELEASE_STATUSES.join('|')}, got '${status}'`);
    }
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await this.mustFind(trx, ref);
      assertTransition(before.ref, before.status, status);
      await updateReleaseStatus(trx, before.id, status, now);
      const after = await this.mustFind(trx, ref);
      await this.deps.audit.record(trx, {
        actor,
        action: 'release.status_changed',
        subjectType: 'release',
        subjectId: before.id,
        before: { ref: before.ref, status: before.status },
        after: { ref: after.ref, status: after.status, ...(reason ? { reason } : {}) },
      });
      return after;
    });
  }

  /** Adds changes to a release's scope. After the scope is frozen they are accepted but marked and audited as such. */
  async addChanges(ref: string, changes: NewChange[], actor: string): Promise<Change[]> {
    assertChanges(changes);
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (trx) => {
      const release = await this.mustFind(trx, ref);
      if (isFinal(release.status)) {
        throw new AppError('conflict', `release ${release.ref} is ${release.status}; its scope can no longer change`);
      }
      const afterFreeze = isScopeFrozen(release.status);
      const added = newChanges(changes, now, afterFreeze);
      await this.recordChanges(trx, release, added, afterFreeze, actor);
      return added;
    });
  }

  /** Inserts changes of a release and audits them, inside the caller's transaction. */
  private async recordChanges(trx: Queryable, release: Release, added: Change[], afterFreeze: boolean, actor: string): Promise<void> {
    await insertChanges(trx, release.id, added);
    await this.deps.audit.record(trx, {
      actor,
      action: afterFreeze ? 'release.scope_changed_after_freeze' : 'release.scope_changed',
      subjectType: 'release',
      subjectId: release.id,
      after: { ref: release.ref, added: added.map((c) => ({ kind: c.kind, type: c.type, ref: c.ref, title: c.title })) },
    });
  }

  private async mustFind(db: Queryable, ref: string): Promise<Release> {
    const { product, version } = parseRef(ref);
    const release = await findRelease(db, product, version);
    if (!release) throw notFound('release', ref);
    return release;
  }
}

function assertChanges(changes: readonly NewChange[]): void {
  changes.forEach((c, i) => {
    if (!(CHANGE_KINDS as readonly string[]).includes(c.kind))
      throw new AppError('bad_request', `changes[${i}].kind: expected one of ${CHANGE_KINDS.join('|')}`);
    if (!(CHANGE_TYPES as readonly string[]).includes(c.type))
      throw new AppError('bad_request', `changes[${i}].type: expected one of ${CHANGE_TYPES.join('|')}`);
  });
}

function newChanges(changes: readonly NewChange[], now: Date, afterFreeze: boolean): Change[] {
  return changes.map((c) => ({
    id: newId(now),
    kind: c.kind,
    type: c.type,
    ref: c.ref,
    title: c.title,
    author: c.author ?? null,
    link: c.link ?? null,
    breaking: c.breaking ?? false,
    afterFreeze,
    createdAt: now.toISOString(),
  }));
}

import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { AuditLog } from '../audit/audit-service.js';
import { type ApprovalStatus, scopeDigest, separationProblem } from './approval.js';
import { committersOf, type GateService, loadContext } from './gate-service.js';
import { insertApproval, revokeApprovalsBy } from './gate-store.js';

export interface ApproveInput {
  release: string;
  environment: string;
  role?: string;
  comment?: string;
}

/** Approvals of a release for an environment, bound to the digest of its scope. */
export class ApprovalService {
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog; gates: GateService }) {}

  async approve(input: ApproveInput, actor: string): Promise<ApprovalStatus> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (trx) => {
      const ctx = await loadContext(trx, input.release, input.environment);
      const rule = ctx.environment.approvals;
      if (!rule) {
        throw new AppError(
          'bad_request',
          `environment ${input.environment} declares no approval rule (add environments[].approvals to railyard.yaml)`,
        );
      }
      const sod = separationProblem(rule, ctx.environment.key, ctx.release.ref, actor, {
        author: ctx.release.author,
        committers: committersOf(ctx.changes),
      });
      if (sod) throw new AppError('blocked', `${actor} cannot approve ${ctx.release.ref} for ${ctx.environment.key}: ${sod}`);
      if (rule.roles?.length && input.role && !rule.roles.includes(input.role)) {
        throw new AppError('bad_request', `role '${input.role}' is not one the rule asks for (${rule.roles.join(', ')})`);
      }
      const digest = scopeDigest(ctx.release.version, ctx.changes);
      // Approving again replaces one's earlier approval (e.g. after a scope change voided it).
      const replaced = await revokeApprovalsBy(trx, ctx.release.id, ctx.environment.id, actor, now.toISOString());
      const id = newId(now);
      await insertApproval(trx, {
        id,
        releaseId: ctx.release.id,
        environmentId: ctx.environment.id,
        approver: actor,
        role: input.role ?? null,
        comment: input.comment ?? '',
        digest,
        at: now.toISOString(),
      });
      await this.deps.audit.record(trx, {
        actor,
        action: 'approval.granted',
        subjectType: 'release',
        subjectId: ctx.release.id,
        after: { id, ref: ctx.release.ref, environment: ctx.environment.key, role: input.role ?? null, digest, replaced: replaced > 0 },
      });
      return (await this.deps.gates.approvalStatus(trx, ctx)) as ApprovalStatus;
    });
  }

  async status(ref: string, environment: string): Promise<ApprovalStatus> {
    const ctx = await loadContext(this.deps.db, ref, environment);
    const status = await this.deps.gates.approvalStatus(this.deps.db, ctx);
    if (!status) throw new AppError('bad_request', `environment ${environment} declares no approval rule`);
    return status;
  }
}

import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/audit.js';
import type { Change } from '../releases/change.js';
import { parseDuration } from './duration.js';
import type { ApprovalRule, Separation } from './gate-config.js';

export interface Approval {
  id: string;
  release: string;
  environment: string;
  approver: string;
  role: string | null;
  comment: string;
  /** Digest of the release's version and scope when approved. */
  digest: string;
  createdAt: string;
}

/** An approval as the gate sees it: counted, or not and why. */
export interface AssessedApproval extends Approval {
  valid: boolean;
  reason: string | null;
}

export interface ApprovalStatus {
  required: number;
  count: number;
  satisfied: boolean;
  approvers: string[];
  missingRoles: string[];
  approvals: AssessedApproval[];
  explanation: string;
}

/**
 * What an approval is bound to: the version and every change in scope. Adding, removing or editing a change
 * gives another digest, which voids approvals made before.
 */
export function scopeDigest(
  version: string,
  changes: readonly Pick<Change, 'kind' | 'type' | 'ref' | 'title' | 'author' | 'breaking'>[],
): string {
  const scope = changes
    .map((c) => ({ kind: c.kind, type: c.type, ref: c.ref, title: c.title, author: c.author, breaking: c.breaking }))
    .sort((a, b) => (canonicalJson(a) < canonicalJson(b) ? -1 : 1));
  return createHash('sha256').update(canonicalJson({ version, scope })).digest('hex');
}

export interface People {
  author: string | null;
  committers: readonly string[];
  /** Who is promoting (running the gate); unknown when approving ahead of time. */
  promoter?: string;
}

/** Why `approver` may not approve under the rule, naming the rule; null when allowed. */
export function separationProblem(rule: ApprovalRule, environment: string, ref: string, approver: string, people: People): string | null {
  const reason = (s: Separation): string | null => {
    if (s === 'author' && people.author === approver) return `${approver} is the author of ${ref}`;
    if (s === 'committers' && people.committers.includes(approver)) return `${approver} authored changes in ${ref}`;
    if (s === 'promoter' && people.promoter === approver) return `${approver} is promoting ${ref}`;
    return null;
  };
  for (const s of rule.distinctFrom ?? []) {
    const why = reason(s);
    if (why) return `rule environments[${environment}].approvals.distinctFrom: ${s} (separation of duties): ${why}`;
  }
  return null;
}

/** Counts the approvals that hold now: same scope, not expired, allowed by separation of duties. */
export function assessApprovals(
  rule: ApprovalRule,
  environment: string,
  ref: string,
  approvals: readonly Approval[],
  context: { digest: string; people: People; now: Date },
): ApprovalStatus {
  const expiresSeconds = rule.expires ? parseDuration(rule.expires) : null;
  const latestBy = new Map<string, Approval>();
  for (const a of approvals) {
    const prev = latestBy.get(a.approver);
    if (!prev || prev.createdAt <= a.createdAt) latestBy.set(a.approver, a);
  }
  const assessed: AssessedApproval[] = [...latestBy.values()].map((a) => {
    let reason: string | null = null;
    if (a.digest !== context.digest) reason = 'void: the release scope changed after this approval';
    else if (expiresSeconds !== null && context.now.getTime() - Date.parse(a.createdAt) > expiresSeconds * 1000) {
      reason = `expired: approvals count for ${rule.expires}`;
    } else {
      const sod = separationProblem(rule, environment, ref, a.approver, context.people);
      if (sod) reason = `not counted: ${sod}`;
    }
    return { ...a, valid: reason === null, reason };
  });
  const valid = assessed.filter((a) => a.valid);
  const required = rule.min ?? 1;
  const roles = new Set(valid.map((a) => a.role).filter((r): r is string => r !== null));
  const missingRoles = (rule.roles ?? []).filter((r) => !roles.has(r));
  const satisfied = valid.length >= required && missingRoles.length === 0;
  const parts = [
    `${valid.length} of ${required} approval${required === 1 ? '' : 's'}${valid.length ? ` (${valid.map((a) => a.approver).join(', ')})` : ''}`,
  ];
  if (missingRoles.length) parts.push(`missing role${missingRoles.length === 1 ? '' : 's'}: ${missingRoles.join(', ')}`);
  for (const a of assessed.filter((x) => !x.valid)) parts.push(`${a.approver}: ${a.reason}`);
  return {
    required,
    count: valid.length,
    satisfied,
    approvers: valid.map((a) => a.approver),
    missingRoles,
    approvals: assessed,
    explanation: parts.join('; '),
  };
}

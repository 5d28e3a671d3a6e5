import type { EvidenceFacts } from '../evidence/evidence.js';
import { VARIABLE_KINDS } from '../evidence/evidence.js';
import type { ApprovalStatus } from './approval.js';
import { type Compiled, valueAt } from './cel.js';
import { formatHours, parseDuration } from './duration.js';
import type { GateCheck } from './gate-config.js';

export type CheckStatus = 'pass' | 'fail' | 'unknown';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  explanation: string;
  values: Record<string, unknown>;
}

export interface GateResult {
  release: string;
  environment: string;
  passed: boolean;
  checks: CheckResult[];
}

/** Everything a gate can look at, gathered by the service; a null built-in fact is unknown, with the reason. */
export interface GateFacts {
  evidence: EvidenceFacts;
  release: {
    ref: string;
    product: string;
    version: string;
    status: string;
    author: string | null;
    changes: { kind: string; type: string; ref: string; title: string; author: string | null; breaking: boolean }[];
  };
  approvals: ApprovalStatus | null;
  /** Hours since the release first reached each environment successfully; null: never. */
  soak: Record<string, number | null>;
  /** The environment before this one in the product's track, for soak without `from`. */
  previousEnvironment: string | null;
  window: { open: boolean; reason: string } | null;
  dependencies: { satisfied: boolean; unsatisfied: string[]; checked: string[] };
  risks: { open: number; open_blockers: number; blockers: string[] };
  reviews: Record<string, { decision: string | null; status: string }>;
  /** Why a built-in fact is unknown, by CEL variable (e.g. window). */
  unknown: Record<string, string>;
}

/** The variables CEL expressions see. Missing evidence is absent, so reading it makes the check unknown. */
export function celContext(f: GateFacts): Record<string, unknown> {
  const ctx: Record<string, unknown> = { ...f.evidence };
  ctx.release = { ...f.release, breaking: f.release.changes.some((c) => c.breaking), changeCount: f.release.changes.length };
  if (f.approvals) {
    ctx.approvals = {
      count: f.approvals.count,
      required: f.approvals.required,
      satisfied: f.approvals.satisfied,
      approvers: f.approvals.approvers,
      missingRoles: f.approvals.missingRoles,
    };
  }
  if (f.window) ctx.window = { open: f.window.open };
  ctx.dependencies = { satisfied: f.dependencies.satisfied, unsatisfied: f.dependencies.unsatisfied };
  ctx.risks = { open: f.risks.open, open_blockers: f.risks.open_blockers };
  const goNoGo = f.reviews['go-no-go'];
  if (goNoGo) ctx.review = { decision: goNoGo.decision ?? 'pending', status: goNoGo.status };
  ctx.reviews = Object.fromEntries(Object.entries(f.reviews).map(([k, r]) => [k, { decision: r.decision ?? 'pending', status: r.status }]));
  return ctx;
}

/** Evaluates every check; the gate passes only when every one passes (unknown fails closed). */
export function evaluateGate(
  release: string,
  environment: string,
  checks: readonly GateCheck[],
  facts: GateFacts,
  compile: (expression: string) => Compiled,
): GateResult {
  const ctx = celContext(facts);
  const results = checks.map((c) => (c.cel !== undefined ? celCheck(c.name, c.cel, ctx, facts, compile) : builtinCheck(c, facts)));
  return { release, environment, passed: results.every((r) => r.status === 'pass'), checks: results };
}

function celCheck(
  name: string,
  expression: string,
  ctx: Record<string, unknown>,
  facts: GateFacts,
  compile: (expression: string) => Compiled,
): CheckResult {
  const compiled = compile(expression);
  const values: Record<string, unknown> = {};
  for (const p of compiled.paths) {
    const v = valueAt(ctx, p);
    if (v === undefined) values[p] = null;
    else if (v === null || typeof v !== 'object' || Array.isArray(v)) values[p] = v;
  }
  const shown = Object.entries(values)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ');
  let result: unknown;
  try {
    result = compiled.run(ctx, facts.soak);
  } catch (error) {
    return { name, status: 'unknown', explanation: unknownReason(expression, compiled.paths, ctx, facts, error as Error), values };
  }
  if (typeof result !== 'boolean') {
    return { name, status: 'unknown', explanation: `${expression} gave ${String(result)}, not true or false`, values };
  }
  return { name, status: result ? 'pass' : 'fail', explanation: `${expression} is ${result}${shown ? ` (${shown})` : ''}`, values };
}

function unknownReason(expression: string, paths: string[], ctx: Record<string, unknown>, facts: GateFacts, error: Error): string {
  const missingVar = paths.map((p) => p.split('.')[0] as string).find((v) => !(v in ctx));
  if (missingVar) {
    if (missingVar in VARIABLE_KINDS) {
      const kind = VARIABLE_KINDS[missingVar as keyof typeof VARIABLE_KINDS];
      return `unknown: no ${kind} evidence for ${facts.release.ref} (${missingVar} is not known)`;
    }
    if (facts.unknown[missingVar]) return `unknown: ${facts.unknown[missingVar]}`;
    return `unknown: ${missingVar} is not a variable gates know (see docs/GATES.md)`;
  }
  const missingPath = paths.find((p) => valueAt(ctx, p) === undefined);
  if (missingPath) return `unknown: ${missingPath} is not in the evidence for ${facts.release.ref}`;
  return `unknown: ${expression} could not be evaluated: ${error.message.split('\n')[0]}`;
}

function builtinCheck(c: GateCheck, f: GateFacts): CheckResult {
  const r = (status: CheckStatus, explanation: string, values: Record<string, unknown>): CheckResult => ({
    name: c.name,
    status,
    explanation,
    values,
  });
  switch (c.builtin) {
    case 'approvals': {
      const a = f.approvals;
      if (!a) return r('unknown', `unknown: ${f.unknown.approvals ?? 'no approval rule for this environment'}`, {});
      return r(a.satisfied ? 'pass' : 'fail', a.explanation, { count: a.count, required: a.required, approvers: a.approvers });
    }
    case 'soak': {
      const from = c.from ?? f.previousEnvironment;
      const minHours = (parseDuration(c.min ?? '24h') ?? 0) / 3600;
      if (!from) return r('pass', `first environment of its track: nothing to soak in`, { from: null });
      const hours = f.soak[from] ?? null;
      if (hours === null)
        return r('fail', `${f.release.ref} has not reached ${from} (needs ${formatHours(minHours)} there)`, {
          from,
          hours: null,
          min: minHours,
        });
      const ok = hours >= minHours;
      return r(ok ? 'pass' : 'fail', `${formatHours(hours)} in ${from}, ${ok ? 'at least' : 'less than'} ${formatHours(minHours)}`, {
        from,
        hours: Math.round(hours * 100) / 100,
        min: minHours,
      });
    }
    case 'window':
      if (!f.window) return r('unknown', `unknown: ${f.unknown.window ?? 'no calendar is configured'}`, { open: null });
      return r(f.window.open ? 'pass' : 'fail', f.window.reason, { open: f.window.open });
    case 'dependencies': {
      const d = f.dependencies;
      const what = d.checked.length ? d.checked.join(', ') : 'no dependencies';
      return r(d.satisfied ? 'pass' : 'fail', d.satisfied ? `satisfied: ${what}` : `not satisfied: ${d.unsatisfied.join('; ')}`, {
        satisfied: d.satisfied,
        unsatisfied: d.unsatisfied,
      });
    }
    case 'risks':
      return r(
        f.risks.open_blockers === 0 ? 'pass' : 'fail',
        f.risks.open_blockers === 0
          ? `no open blocker risks (${f.risks.open} open)`
          : `${f.risks.open_blockers} open blocker risk(s): ${f.risks.blockers.join('; ')}`,
        { open_blockers: f.risks.open_blockers, open: f.risks.open },
      );
    case 'review': {
      const kind = c.kind ?? 'go-no-go';
      const review = f.reviews[kind];
      if (!review)
        return r('unknown', `unknown: no ${kind} review for ${f.release.ref} (railyard review open ${f.release.ref} --kind ${kind})`, {
          decision: null,
        });
      if (!review.decision) return r('unknown', `unknown: the ${kind} review has not decided yet`, { decision: 'pending' });
      return r(review.decision === 'go' ? 'pass' : 'fail', `${kind} review decided ${review.decision}`, { decision: review.decision });
    }
    default:
      return r('unknown', `unknown: unknown built-in '${String(c.builtin)}'`, {});
  }
}

/** What the gates need of the calendar: whether a product may be promoted into an environment at an instant. */
export interface WindowCheck {
  check(q: { product: string; environment: string; at?: string }): Promise<{ allowed: boolean; reasons: { message: string }[] }>;
}

import { AppError } from '../../platform/errors.js';
import type { ReviewTemplateSpec } from '../gates/gate-config.js';

export const VOTES = ['go', 'no-go', 'abstain'] as const;
export type VoteValue = (typeof VOTES)[number];
export type Decision = 'go' | 'no-go';
export type ReviewStatus = 'open' | 'decided';

/** What a review is judged by: a copy of its template taken when it opened, so later config edits do not move it. */
export interface DecisionRule {
  template: string;
  name: string;
  rule: 'unanimous' | 'majority';
  roles: string[];
  quorum: number;
}

export interface ChecklistItem {
  item: string;
  ticked: boolean;
  by: string | null;
  at: string | null;
}

export interface ReviewVote {
  voter: string;
  vote: VoteValue;
  role: string | null;
  comment: string;
  at: string;
  /** Whether the vote decides: with required roles, votes cast in other roles are advisory. */
  counted: boolean;
}

/** What the rule says now, from the votes and checklist; `pending` until it can decide. */
export interface Outcome {
  decision: Decision | 'pending';
  explanation: string;
  go: number;
  noGo: number;
  abstain: number;
  missingRoles: string[];
  unticked: string[];
}

export interface Review {
  id: string;
  release: string;
  kind: string;
  status: ReviewStatus;
  rule: DecisionRule;
  checklist: ChecklistItem[];
  votes: ReviewVote[];
  decision: Decision | null;
  minutes: string;
  openedBy: string;
  openedAt: string;
  decidedAt: string | null;
  outcome: Outcome;
}

export interface OpenReview {
  release: string;
  kind: string;
  template?: string;
}

export interface VoteInput {
  release: string;
  kind?: string;
  vote: string;
  role?: string;
  comment?: string;
}

/** The rule when a kind has no template in railyard.yaml: no checklist, one vote, unanimous. */
export function defaultTemplate(kind: string): ReviewTemplateSpec {
  return { key: kind, kind, name: kind, checklist: [], rule: 'unanimous', roles: [], quorum: 1 };
}

export function ruleOf(t: ReviewTemplateSpec): DecisionRule {
  return { template: t.key, name: t.name, rule: t.rule, roles: [...t.roles], quorum: t.quorum };
}

export function isVote(value: string): value is VoteValue {
  return (VOTES as readonly string[]).includes(value);
}

export function isCounted(rule: DecisionRule, role: string | null): boolean {
  return rule.roles.length === 0 || (role !== null && rule.roles.includes(role));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Applies the decision rule. No-go wins early under `unanimous` (one counted no-go decides); `go` needs the
 * quorum, a counted vote from every required role and every checklist item ticked. `majority` decides once
 * the quorum and roles are in: more go than no-go is go, a tie is no-go (fail closed).
 */
export function decide(
  rule: DecisionRule,
  votes: readonly Pick<ReviewVote, 'vote' | 'role' | 'voter'>[],
  checklist: readonly ChecklistItem[],
): Outcome {
  const counted = votes.filter((v) => isCounted(rule, v.role));
  const go = counted.filter((v) => v.vote === 'go').length;
  const noGo = counted.filter((v) => v.vote === 'no-go').length;
  const abstain = counted.filter((v) => v.vote === 'abstain').length;
  const voted = new Set(counted.filter((v) => v.vote !== 'abstain').map((v) => v.role));
  const missingRoles = rule.roles.filter((r) => !voted.has(r));
  const unticked = checklist.filter((c) => !c.ticked).map((c) => c.item);
  const tally = `${go} go, ${noGo} no-go, ${abstain} abstain`;
  const base = { go, noGo, abstain, missingRoles, unticked };
  const pending = (why: string): Outcome => ({ ...base, decision: 'pending', explanation: `pending: ${why} (${tally})` });

  if (rule.rule === 'unanimous' && noGo > 0) {
    const who = counted.filter((v) => v.vote === 'no-go').map((v) => v.voter);
    return { ...base, decision: 'no-go', explanation: `no-go: unanimous rule and ${who.join(', ')} voted no-go (${tally})` };
  }
  if (go + noGo < rule.quorum) return pending(`${plural(go + noGo, 'vote')} of the quorum of ${rule.quorum}`);
  if (missingRoles.length) return pending(`no vote yet from role${missingRoles.length === 1 ? '' : 's'} ${missingRoles.join(', ')}`);
  if (rule.rule === 'majority' && noGo >= go) {
    return { ...base, decision: 'no-go', explanation: `no-go: majority rule, ${go} go against ${noGo} no-go (${tally})` };
  }
  if (unticked.length) return pending(`checklist not done: ${unticked.map((u) => `'${u}'`).join(', ')}`);
  const how = rule.rule === 'unanimous' ? 'every counted vote is go' : `${go} go against ${noGo} no-go`;
  return { ...base, decision: 'go', explanation: `go: ${rule.rule} rule, ${how}, checklist done (${tally})` };
}

/** Finds a checklist item by its 1-based number, its exact text, or a unique case-insensitive prefix. */
export function findItem(checklist: readonly ChecklistItem[], item: string): number {
  if (/^\d+$/.test(item)) {
    const n = Number(item);
    if (n >= 1 && n <= checklist.length) return n - 1;
  }
  const exact = checklist.findIndex((c) => c.item === item);
  if (exact >= 0) return exact;
  const wanted = item.toLowerCase();
  const matches = checklist.flatMap((c, i) => (c.item.toLowerCase().startsWith(wanted) ? [i] : []));
  if (matches.length === 1) return matches[0] as number;
  const list = checklist.map((c, i) => `${i + 1}. ${c.item}`).join('; ') || 'the checklist is empty';
  const why = matches.length > 1 ? `'${item}' matches ${matches.length} items` : `no checklist item '${item}'`;
  throw new AppError('bad_request', `${why} (${list})`);
}

/** Minutes recorded with a decision: the people's own notes, then what the rule decided and from which votes. */
export function minutesOf(
  review: Pick<Review, 'kind' | 'release' | 'checklist' | 'votes'>,
  outcome: Outcome,
  by: string,
  notes: string,
  at: string,
): string {
  const lines = [`${review.kind} review of ${review.release}, decided ${outcome.decision} by ${by} at ${at}`];
  if (notes.trim()) lines.push('', notes.trim());
  lines.push('', `Decision: ${outcome.explanation}`, '', 'Votes:');
  if (review.votes.length === 0) lines.push('- none');
  for (const v of review.votes) {
    const role = v.role ? ` (${v.role})` : '';
    lines.push(`- ${v.voter}${role}: ${v.vote}${v.counted ? '' : ' [advisory]'}${v.comment ? ` — ${v.comment}` : ''}`);
  }
  if (review.checklist.length) {
    lines.push('', 'Checklist:');
    for (const c of review.checklist) lines.push(`- [${c.ticked ? 'x' : ' '}] ${c.item}${c.by ? ` (${c.by})` : ''}`);
  }
  return lines.join('\n');
}

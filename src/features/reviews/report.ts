import type { ApprovalStatus } from '../gates/approval.js';
import type { GateResult } from '../gates/gate.js';
import type { RiskAssessment, RiskItem } from '../risk/risk.js';
import type { Review } from './review.js';

/** The readiness report: everything the go/no-go meeting looks at, on one page. */
export interface ReadinessReport {
  generatedAt: string;
  release: {
    ref: string;
    product: string;
    version: string;
    title: string;
    status: string;
    targetDate: string | null;
    author: string | null;
    train: string | null;
  };
  notes: string;
  scope: {
    total: number;
    breaking: number;
    afterFreeze: number;
    byType: Record<string, number>;
    changes: {
      kind: string;
      type: string;
      ref: string;
      title: string;
      author: string | null;
      breaking: boolean;
      afterFreeze: boolean;
    }[];
  };
  gates: GateResult[];
  approvals: { environment: string; status: ApprovalStatus }[];
  risk: RiskAssessment | null;
  risks: RiskItem[];
  /** The newest review of each kind. */
  reviews: Review[];
}

const cell = (v: unknown) => (v === null || v === undefined || v === '' ? '-' : String(v).replace(/\|/g, '\\|').replace(/\n/g, ' '));
const row = (cells: unknown[]) => `| ${cells.map(cell).join(' | ')} |`;
const tableOf = (head: string[], rows: unknown[][]) =>
  rows.length ? [row(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(row)].join('\n') : '_none_';

/** The report as Markdown, for the meeting's page or a ticket. */
export function reportMarkdown(r: ReadinessReport): string {
  const rel = r.release;
  const out: string[] = [`# Readiness report: ${rel.ref}`, ''];
  out.push(
    `**${rel.title}** — status ${rel.status}; target ${rel.targetDate ?? '-'}; author ${rel.author ?? '-'}; train ${rel.train ?? '-'}; generated ${r.generatedAt}`,
    '',
  );
  out.push('## Scope', '');
  const types = Object.entries(r.scope.byType)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  out.push(
    `${r.scope.total} changes${types ? ` (${types})` : ''}; ${r.scope.breaking} breaking; ${r.scope.afterFreeze} after the freeze.`,
    '',
  );
  out.push(
    tableOf(
      ['TYPE', 'REF', 'TITLE', 'AUTHOR', 'NOTE'],
      r.scope.changes.map((c) => [
        c.type,
        c.ref,
        c.title,
        c.author,
        [c.breaking ? 'breaking' : '', c.afterFreeze ? 'after freeze' : ''].filter(Boolean).join(', '),
      ]),
    ),
    '',
  );
  out.push('## Notes', '', r.notes.trim() || '_none_', '');
  out.push('## Gates', '');
  if (r.gates.length === 0) out.push('_no environment declares a gate_', '');
  for (const g of r.gates) {
    out.push(`### ${g.environment}: ${g.passed ? 'passes' : 'blocked'}`, '');
    out.push(
      tableOf(
        ['CHECK', 'STATUS', 'EXPLANATION'],
        g.checks.map((c) => [c.name, c.status, c.explanation]),
      ),
      '',
    );
  }
  out.push('## Risk', '');
  if (r.risk) {
    out.push(`Score **${r.risk.score}/100** (${r.risk.level}).`, '');
    out.push(
      tableOf(
        ['FACTOR', 'WEIGHT', 'POINTS', 'WHY'],
        r.risk.factors.map((f) => [f.key, f.weight, f.points, f.explanation]),
      ),
      '',
    );
    for (const o of r.risk.omitted) out.push(`- ${o.key} left out: ${o.reason}`);
    if (r.risk.omitted.length) out.push('');
  }
  out.push(
    tableOf(
      ['RISK', 'L×I', 'OWNER', 'MITIGATION', 'STATUS'],
      r.risks.map((k) => [
        `${k.title}${k.blocker ? ' (blocker)' : ''}`,
        `${k.likelihood}×${k.impact}=${k.severity}`,
        k.owner,
        k.mitigation,
        k.status,
      ]),
    ),
    '',
  );
  out.push('## Approvals', '');
  if (r.approvals.length === 0) out.push('_no environment declares an approval rule_', '');
  for (const a of r.approvals)
    out.push(`- **${a.environment}**: ${a.status.satisfied ? 'satisfied' : 'not satisfied'} — ${a.status.explanation}`);
  if (r.approvals.length) out.push('');
  out.push('## Reviews', '');
  if (r.reviews.length === 0) out.push('_no review opened_', '');
  for (const v of r.reviews) {
    const state = v.decision ? `decided **${v.decision}** at ${v.decidedAt}` : `open — ${v.outcome.explanation}`;
    out.push(`### ${v.kind} (${v.rule.rule}${v.rule.roles.length ? `, roles ${v.rule.roles.join(', ')}` : ''}): ${state}`, '');
    if (v.checklist.length) {
      for (const c of v.checklist) out.push(`- [${c.ticked ? 'x' : ' '}] ${c.item}${c.by ? ` — ${c.by}` : ''}`);
      out.push('');
    }
    out.push(
      tableOf(
        ['VOTER', 'ROLE', 'VOTE', 'COMMENT'],
        v.votes.map((x) => [x.voter, x.role, `${x.vote}${x.counted ? '' : ' (advisory)'}`, x.comment]),
      ),
      '',
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}

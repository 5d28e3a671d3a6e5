import { AppError } from '../../platform/errors.js';

/** Kinds of evidence: parsed reports (from a file) and facts stated on the command line. */
export const REPORT_KINDS = ['junit', 'lcov', 'cobertura', 'istanbul', 'sarif'] as const;
export const FACT_KINDS = ['ci', 'signoff', 'custom'] as const;
export const EVIDENCE_KINDS = [...REPORT_KINDS, ...FACT_KINDS] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export type TestFacts = {
  total: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  durationSeconds: number;
  /** `classname > name` of failing tests, the first 50. */
  failing: string[];
};

/** Percentages 0–100; a metric the report does not have is absent (so a gate on it is unknown). */
export type CoverageFacts = {
  lines?: number;
  branches?: number;
  functions?: number;
  statements?: number;
};

export type SarifFacts = {
  error: number;
  warning: number;
  note: number;
  none: number;
  total: number;
  /** Results per rule id. */
  rules: Record<string, number>;
};

export type CiFacts = {
  status: 'pass' | 'fail';
  url: string | null;
};

export type SignoffFacts = {
  role: string;
  by: string;
  comment: string;
};

export type Facts = TestFacts | CoverageFacts | SarifFacts | CiFacts | SignoffFacts | Record<string, unknown>;

export interface Evidence {
  id: string;
  release: string;
  kind: EvidenceKind;
  source: string;
  facts: Facts;
  digest: string;
  actor: string;
  createdAt: string;
  /** When a later submission for the same source replaced it; null for the current one. */
  supersededAt: string | null;
}

export function isEvidenceKind(kind: string): kind is EvidenceKind {
  return (EVIDENCE_KINDS as readonly string[]).includes(kind);
}

export function isReportKind(kind: string): kind is ReportKind {
  return (REPORT_KINDS as readonly string[]).includes(kind);
}

export function assertKind(kind: string): EvidenceKind {
  if (!isEvidenceKind(kind)) throw new AppError('bad_request', `kind: expected one of ${EVIDENCE_KINDS.join('|')}, got '${kind}'`);
  return kind;
}

/** The facts the gates see: each kind's current evidence of every source, combined into one CEL variable. */
export interface EvidenceFacts {
  tests?: TestFacts;
  coverage?: CoverageFacts;
  sarif?: SarifFacts;
  ci?: { status: 'pass' | 'fail'; passed: boolean; failedSources: string[]; urls: string[] };
  signoffs?: Record<string, { by: string; at: string; comment: string }>;
  custom?: Record<string, unknown>;
}

/** Which evidence kind feeds each CEL variable (for "unknown: no … evidence" explanations). */
export const VARIABLE_KINDS: Record<keyof EvidenceFacts, string> = {
  tests: 'junit',
  coverage: 'lcov, cobertura or istanbul',
  sarif: 'sarif',
  ci: 'ci',
  signoffs: 'signoff',
  custom: 'custom',
};

/**
 * Combines current evidence: test counts and SARIF results add up over sources (unit + integration);
 * coverage takes the lowest value of each metric (the conservative reading); CI passes only when every
 * source passed; sign-offs are by role; custom values of later submissions win.
 */
export function combineEvidence(current: readonly Evidence[]): EvidenceFacts {
  const out: EvidenceFacts = {};
  const sorted = [...current].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  for (const e of sorted) {
    switch (e.kind) {
      case 'junit': {
        const f = e.facts as TestFacts;
        const t = out.tests ?? { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0, durationSeconds: 0, failing: [] };
        out.tests = {
          total: t.total + f.total,
          passed: t.passed + f.passed,
          failed: t.failed + f.failed,
          errors: t.errors + f.errors,
          skipped: t.skipped + f.skipped,
          durationSeconds: round(t.durationSeconds + f.durationSeconds),
          failing: [...t.failing, ...f.failing].slice(0, 50),
        };
        break;
      }
      case 'lcov':
      case 'cobertura':
      case 'istanbul': {
        const f = e.facts as CoverageFacts;
        const c: CoverageFacts = { ...(out.coverage ?? {}) };
        for (const m of ['lines', 'branches', 'functions', 'statements'] as const) {
          const v = f[m];
          if (v !== undefined) c[m] = c[m] === undefined ? v : Math.min(c[m], v);
        }
        out.coverage = c;
        break;
      }
      case 'sarif': {
        const f = e.facts as SarifFacts;
        const s = out.sarif ?? { error: 0, warning: 0, note: 0, none: 0, total: 0, rules: {} };
        const rules = { ...s.rules };
        for (const [r, n] of Object.entries(f.rules)) rules[r] = (rules[r] ?? 0) + n;
        out.sarif = {
          error: s.error + f.error,
          warning: s.warning + f.warning,
          note: s.note + f.note,
          none: s.none + f.none,
          total: s.total + f.total,
          rules,
        };
        break;
      }
      case 'ci': {
        const f = e.facts as CiFacts;
        const c = out.ci ?? { status: 'pass' as const, passed: true, failedSources: [], urls: [] };
        const failedSources = f.status === 'fail' ? [...c.failedSources, e.source] : c.failedSources;
        out.ci = {
          status: failedSources.length ? 'fail' : 'pass',
          passed: failedSources.length === 0,
          failedSources,
          urls: f.url ? [...c.urls, f.url] : c.urls,
        };
        break;
      }
      case 'signoff': {
        const f = e.facts as SignoffFacts;
        out.signoffs = { ...(out.signoffs ?? {}), [f.role]: { by: f.by, at: e.createdAt, comment: f.comment } };
        break;
      }
      case 'custom':
        out.custom = { ...(out.custom ?? {}), ...(e.facts as Record<string, unknown>) };
        break;
    }
  }
  return out;
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A custom value from the command line: JSON when it parses (numbers, booleans), text otherwise. */
export function parseCustomValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

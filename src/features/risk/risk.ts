import { AppError } from '../../platform/errors.js';

/** The factors of a release's risk score, each weighted in railyard.yaml (`risk.weights`). */
export const RISK_FACTORS = ['size', 'breaking', 'history', 'dependencies', 'evidence', 'freeze', 'staleness'] as const;
export type RiskFactorKey = (typeof RISK_FACTORS)[number];
export type RiskWeights = Record<RiskFactorKey, number>;

export const DEFAULT_WEIGHTS: RiskWeights = {
  size: 20,
  breaking: 20,
  history: 15,
  dependencies: 10,
  evidence: 20,
  freeze: 5,
  staleness: 10,
};

/** Changes at which the size factor is at its maximum; deployments in the history window counted as failures. */
export const SIZE_FULL = 50;
export const HISTORY_DAYS = 90;
export const FREEZE_HORIZON_DAYS = 14;

export type EvidenceState = 'ok' | 'missing' | 'failing';

/** The facts a score is computed from, gathered by the service. */
export interface RiskInput {
  changes: { total: number; breaking: number; dependency: number };
  /** The product's deployments finished in the last HISTORY_DAYS days, and how many failed or were rolled back. */
  history: { product: string; total: number; failed: number };
  evidence: { tests: EvidenceState; coverage: EvidenceState; scan: EvidenceState };
  /** Hours until the next freeze starts (0: one is active); null: none within the horizon; a string: why it is not known. */
  hoursToFreeze: number | null | string;
  /** Days since the product's previous release shipped; null: this is its first. */
  daysSinceLastRelease: number | null;
}

export interface RiskFactor {
  key: RiskFactorKey;
  weight: number;
  /** 0 (no risk) to 1 (the most this factor gives). */
  value: number;
  /** Points of the 0–100 score this factor contributes. */
  points: number;
  explanation: string;
}

export type RiskLevel = 'low' | 'medium' | 'high' | 'critical';

export interface RiskAssessment {
  release: string;
  score: number;
  level: RiskLevel;
  factors: RiskFactor[];
  /** Factors left out of the score, and why. */
  omitted: { key: RiskFactorKey; reason: string }[];
}

const clamp = (v: number) => Math.min(1, Math.max(0, v));
const round2 = (v: number) => Math.round(v * 100) / 100;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function factorValue(key: RiskFactorKey, i: RiskInput): { value: number; explanation: string } | string {
  switch (key) {
    case 'size':
      return {
        value: clamp(i.changes.total / SIZE_FULL),
        explanation: `${plural(i.changes.total, 'change')} in scope (${SIZE_FULL} or more is the most)`,
      };
    case 'breaking':
      return {
        value: clamp(i.changes.breaking / 2),
        explanation: i.changes.breaking ? `${plural(i.changes.breaking, 'breaking change')}` : 'no breaking changes',
      };
    case 'history': {
      const h = i.history;
      return {
        value: clamp(h.failed / 3),
        explanation: `${h.failed} of ${plural(h.total, 'deployment')} of ${h.product} in the last ${HISTORY_DAYS} days failed or were rolled back`,
      };
    }
    case 'dependencies':
      return {
        value: clamp(i.changes.dependency / 5),
        explanation: i.changes.dependency ? `${plural(i.changes.dependency, 'dependency change')}` : 'no dependency changes',
      };
    case 'evidence': {
      const bad = Object.entries(i.evidence).filter(([, s]) => s !== 'ok');
      return {
        value: bad.length / 3,
        explanation: bad.length
          ? `evidence ${bad.map(([k, s]) => `${k} ${s}`).join(', ')}`
          : 'tests, coverage and scan evidence present and passing',
      };
    }
    case 'freeze': {
      const h = i.hoursToFreeze;
      if (typeof h === 'string') return h;
      if (h === null) return { value: 0, explanation: `no freeze within ${FREEZE_HORIZON_DAYS} days` };
      if (h <= 0) return { value: 1, explanation: 'a freeze is active now' };
      const days = h / 24;
      return {
        value: clamp(1 - (h - 24) / ((FREEZE_HORIZON_DAYS - 1) * 24)),
        explanation: `next freeze starts in ${days < 2 ? `${Math.round(h)} h` : `${Math.round(days)} days`}`,
      };
    }
    case 'staleness': {
      const d = i.daysSinceLastRelease;
      if (d === null) return { value: 0.5, explanation: 'first release of the product' };
      return { value: clamp(d / 90), explanation: `${plural(Math.floor(d), 'day')} since the last release (90 or more is the most)` };
    }
  }
}

/** The 0–100 score: the weighted mean of the factors' values; factors that cannot be known are left out, and say so. */
export function scoreRisk(release: string, input: RiskInput, weights: RiskWeights = DEFAULT_WEIGHTS): RiskAssessment {
  const factors: RiskFactor[] = [];
  const omitted: RiskAssessment['omitted'] = [];
  let total = 0;
  for (const key of RISK_FACTORS) {
    const f = factorValue(key, input);
    if (typeof f === 'string') omitted.push({ key, reason: f });
    else {
      factors.push({ key, weight: weights[key], value: round2(f.value), points: 0, explanation: f.explanation });
      total += weights[key];
    }
  }
  let score = 0;
  for (const f of factors) {
    f.points = total > 0 ? round2((100 * f.weight * f.value) / total) : 0;
    score += f.points;
  }
  score = Math.min(100, Math.max(0, Math.round(score)));
  return { release, score, level: levelOf(score), factors, omitted };
}

export function levelOf(score: number): RiskLevel {
  return score < 25 ? 'low' : score < 50 ? 'medium' : score < 75 ? 'high' : 'critical';
}

export function weightsFrom(configured: Partial<RiskWeights> | undefined): RiskWeights {
  return { ...DEFAULT_WEIGHTS, ...(configured ?? {}) };
}

/** An entry of the risk register. An open blocker fails the gate's `risks` built-in. */
export interface RiskItem {
  id: string;
  release: string;
  title: string;
  likelihood: number;
  impact: number;
  /** likelihood × impact, 1–25. */
  severity: number;
  owner: string | null;
  mitigation: string;
  status: RiskStatus;
  blocker: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A release's risk score with its factors, and its risk register. */
export interface RiskReport extends RiskAssessment {
  register: RiskItem[];
}

export interface NewRisk extends RiskFields {
  title: string;
  likelihood: number;
  impact: number;
}

export const RISK_STATUSES = ['open', 'closed'] as const;
export type RiskStatus = (typeof RISK_STATUSES)[number];

export interface RiskFields {
  title?: string;
  likelihood?: number;
  impact?: number;
  owner?: string | null;
  mitigation?: string;
  blocker?: boolean;
}

/** Checks the fields of a register entry; likelihood and impact are whole numbers 1–5. */
export function assertRiskFields(f: RiskFields): void {
  if (f.title !== undefined && f.title.trim() === '') throw new AppError('bad_request', 'title: must not be empty');
  for (const k of ['likelihood', 'impact'] as const) {
    const v = f[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 5)) {
      throw new AppError('bad_request', `${k}: expected a whole number from 1 to 5, got ${String(v)}`);
    }
  }
}

/** What the evidence says for risk: each of tests, coverage and a scan is present and passing, or not. */
export function evidenceStates(e: {
  tests?: { total: number; failed: number; errors: number };
  coverage?: { lines?: number };
  sarif?: { error: number };
}): RiskInput['evidence'] {
  return {
    tests: !e.tests ? 'missing' : e.tests.total === 0 || e.tests.failed + e.tests.errors > 0 ? 'failing' : 'ok',
    coverage: !e.coverage ? 'missing' : e.coverage.lines !== undefined && e.coverage.lines < COVERAGE_FLOOR ? 'failing' : 'ok',
    scan: !e.sarif ? 'missing' : e.sarif.error > 0 ? 'failing' : 'ok',
  };
}

/** Line coverage (percent) under which coverage evidence counts as failing for risk. */
export const COVERAGE_FLOOR = 50;

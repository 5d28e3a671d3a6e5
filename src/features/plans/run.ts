import type { RunStatus, StepKind, StepStatus } from './plan.js';

/** What a promotion asks for: a release, the environment, and optionally when. */
export interface PromoteInput {
  release: string;
  environment: string;
  /** ISO-8601 instant: start then (or when the environment's window next opens), not now. */
  at?: string;
  reason?: string;
}

/** One execution of a plan for a release into an environment, as users see it. */
export interface Run {
  id: string;
  release: string;
  product: string;
  version: string;
  environment: string;
  plan: string;
  status: RunStatus;
  /** A promotion of a version that already succeeded in this environment: a rollback by redeploying it. */
  redeploy: boolean;
  promoter: string;
  scheduledAt: string | null;
  error: string | null;
  deployment: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface StepRun {
  id: string;
  phase: 'deploy' | 'rollback';
  key: string;
  name: string;
  kind: StepKind;
  needs: string[];
  status: StepStatus;
  attempt: number;
  maxAttempts: number;
  availableAt: string | null;
  worker: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  /** What the step reported: exit status, HTTP status, confirmations, … */
  result: Record<string, unknown> | null;
  /** For steps waiting for a person: what to do, and who may. */
  instructions: string | null;
}

export interface RunDetail extends Run {
  steps: StepRun[];
}

export interface StepLog {
  id: string;
  step: string;
  phase: string;
  attempt: number;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
  at: string;
}

/** The run status its steps imply while it is active. */
export function activeStatus(phase: 'deploy' | 'rollback', steps: readonly { status: StepStatus }[]): RunStatus {
  if (steps.some((s) => s.status === 'needs_attention')) return 'needs_attention';
  if (steps.some((s) => s.status === 'waiting')) return 'awaiting';
  return phase === 'rollback' ? 'rolling_back' : 'running';
}

/** Exit code of `promote --wait`: 0 only when the run succeeded. */
export function runExitCode(status: RunStatus): number {
  return status === 'succeeded' ? 0 : 1;
}

import type { RunDetail, RunStatus, StepRun, StepStatus } from './api/types';

// What a person may do with a run or a step in each status: the same rules the API enforces (run-service.ts),
// so the dashboard offers only the actions that can succeed.

const FINAL: readonly RunStatus[] = ['succeeded', 'failed', 'rolled_back', 'cancelled'];

export function isFinalRun(status: RunStatus): boolean {
  return FINAL.includes(status);
}

export function canCancel(run: Pick<RunDetail, 'status'>): boolean {
  return !isFinalRun(run.status);
}

/** Retry runs failed or unknown steps again; resume skips them. Both only for a failed run or one needing attention. */
export function canReopen(run: Pick<RunDetail, 'status'>): boolean {
  return run.status === 'failed' || run.status === 'needs_attention';
}

const PERSON: readonly StepStatus[] = ['waiting', 'needs_attention'];

/** A step a person confirms or rejects: a manual item or approval waiting, or an attempt whose outcome is unknown. */
export function waitsForPerson(step: Pick<StepRun, 'status'>): boolean {
  return PERSON.includes(step.status);
}

import semver from 'semver';
import { AppError } from '../../platform/errors.js';

export const RELEASE_STATUSES = ['planned', 'in_progress', 'ready', 'released', 'cancelled'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

/**
 * The release lifecycle. Forward one step at a time; `ready → in_progress` reopens a release when readiness
 * finds a problem; `cancelled` is reachable from every state that is not final.
 */
const TRANSITIONS: Record<ReleaseStatus, readonly ReleaseStatus[]> = {
  planned: ['in_progress', 'cancelled'],
  in_progress: ['ready', 'cancelled'],
  ready: ['released', 'in_progress', 'cancelled'],
  released: [],
  cancelled: [],
};

export interface Release {
  id: string;
  product: string;
  version: string;
  ref: string;
  title: string;
  status: ReleaseStatus;
  targetDate: string | null;
  author: string | null;
  train: string | null;
  notes: string;
  createdAt: string;
  updatedAt: string;
  releasedAt: string | null;
}

export function isReleaseStatus(value: string): value is ReleaseStatus {
  return (RELEASE_STATUSES as readonly string[]).includes(value);
}

export function isFinal(status: ReleaseStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function allowedNext(status: ReleaseStatus): readonly ReleaseStatus[] {
  return TRANSITIONS[status];
}

export function assertTransition(ref: string, from: ReleaseStatus, to: ReleaseStatus): void {
  if (TRANSITIONS[from].includes(to)) return;
  const next = TRANSITIONS[from];
  const hint = next.length ? `allowed from ${from}: ${next.join(', ')}` : `${from} is final`;
  throw new AppError('invalid_transition', `release ${ref} cannot go from ${from} to ${to} (${hint})`);
}

/** Once a release is ready its scope is frozen: later changes are still accepted but marked as such. */
export function isScopeFrozen(status: ReleaseStatus): boolean {
  return status === 'ready';
}

export function formatRef(product: string, version: string): string {
  return `${product}@${version}`;
}

/** Splits `PRODUCT@VERSION` at the last `@`, so scoped names such as `@acme/ui@1.0.0` work too. */
export function parseRef(ref: string): { product: string; version: string } {
  const at = ref.lastIndexOf('@');
  if (at <= 0 || at === ref.length - 1) {
    throw new AppError('bad_request', `'${ref}' is not a release reference: write PRODUCT@VERSION, e.g. shop@1.4.0`);
  }
  return { product: ref.slice(0, at), version: ref.slice(at + 1) };
}

export function versionProblem(version: string): string | null {
  return semver.valid(version) === version ? null : `'${version}' is not a semantic version (e.g. 1.4.0 or 2.0.0-rc.1)`;
}

/** Target dates are calendar days (YYYY-MM-DD) or instants (ISO-8601 with offset); stored as given, checked. */
export function targetDateProblem(value: string): string | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const d = new Date(`${value}T00:00:00Z`);
    return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value ? `'${value}' is not a real date` : null;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    return Number.isNaN(new Date(value).getTime()) ? `'${value}' is not a real time` : null;
  }
  return `'${value}' is not a date: write YYYY-MM-DD or an ISO-8601 time such as 2026-12-01T09:00:00Z`;
}

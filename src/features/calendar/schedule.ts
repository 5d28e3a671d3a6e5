/**
 * Time on the calendar that belongs to a release: a planned window (when the release is meant to enter an
 * environment) and a booking (a reservation of the environment for it). Overrides let a promotion through a
 * window for a limited time.
 */
export interface PlannedWindow {
  id: string;
  release: string;
  product: string;
  version: string;
  train: string | null;
  environment: string;
  start: string;
  end: string;
  createdBy: string;
  sequence: number;
  createdAt: string;
  updatedAt: string;
}

export const BOOKING_STATUSES = ['active', 'cancelled'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

export interface Booking {
  id: string;
  release: string;
  product: string;
  version: string;
  train: string | null;
  environment: string;
  start: string;
  end: string;
  note: string;
  /** Created despite conflicts, with `forceReason`. */
  forced: boolean;
  forceReason: string | null;
  status: BookingStatus;
  createdBy: string;
  cancelledBy: string | null;
  cancelledAt: string | null;
  sequence: number;
  createdAt: string;
  updatedAt: string;
}

export const OVERRIDE_STATUSES = ['pending', 'active', 'revoked'] as const;
export type OverrideStatus = (typeof OVERRIDE_STATUSES)[number];

export interface Override {
  id: string;
  window: string;
  environment: string;
  /** null: every product. */
  product: string | null;
  start: string;
  end: string;
  reason: string;
  /** `pending` until someone other than the requester approves it (environments that require that). */
  status: OverrideStatus;
  requestedBy: string;
  approvedBy: string | null;
  approvedAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
  sequence: number;
  createdAt: string;
  updatedAt: string;
}

/** The longest an override may last: a freeze is lifted for a change, not suspended. */
export const MAX_OVERRIDE_MS = 7 * 86_400_000;
/** The longest a planned window or booking may last. */
const MAX_SLOT_MS = 366 * 86_400_000;

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an ISO-8601 instant (with Z or an offset) to epoch ms, or says what is wrong. */
export function parseInstant(value: string, field: string): number | string {
  if (!ISO_INSTANT.test(value)) return `${field}: '${value}' is not an ISO-8601 time with a zone (e.g. 2026-12-01T09:00:00Z)`;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? `${field}: '${value}' is not a real time` : ms;
}

/** A time range of a planned window or booking: both instants, end after start, at most a year. */
export function rangeProblems(start: string, end: string): { start?: number; end?: number; problems: string[] } {
  const s = parseInstant(start, 'start');
  const e = parseInstant(end, 'end');
  const problems = [s, e].filter((v): v is string => typeof v === 'string');
  if (typeof s === 'number' && typeof e === 'number') {
    if (e <= s) problems.push(`end (${end}) must be after start (${start})`);
    else if (e - s > MAX_SLOT_MS) problems.push('a planned window or booking lasts at most 366 days');
  }
  return { start: typeof s === 'number' ? s : undefined, end: typeof e === 'number' ? e : undefined, problems };
}

export function overrideProblems(start: number, end: number, reason: string): string[] {
  const problems: string[] = [];
  if (reason.trim() === '') problems.push('reason: an override needs a reason');
  if (end <= start) problems.push('until: the override must end after it starts');
  else if (end - start > MAX_OVERRIDE_MS) problems.push('until: an override lasts at most 7 days');
  return problems;
}

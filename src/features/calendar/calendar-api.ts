import { AppError } from '../../platform/errors.js';
import { AGENDA_KINDS, type AgendaItem, type AgendaKind } from './agenda.js';
import type { Proposal, Skipped } from './cadence.js';
import { parseInstant, rangeProblems } from './schedule.js';
import type { Window } from './window.js';

/** Requests and answers of the calendar's use cases: the same shapes in the services, the API and the CLI. */
export interface CheckQuery {
  product: string;
  environment: string;
  /** ISO-8601 instant; default now. */
  at?: string;
  emergency?: boolean;
}

export interface OverrideRequest {
  window: string;
  environment: string;
  product?: string;
  /** ISO-8601; default now. */
  from?: string;
  until: string;
  reason: string;
}

export interface FeedToken {
  user: string;
  token: string;
  /** Path of the feed on the server, with the token: `/calendar.ics?token=…`. */
  path: string;
  createdAt: string;
}

export interface WindowDetail extends Window {
  /** The next occurrences (UTC), in the window's zone or, without one, in UTC. */
  next: { start: string; end: string }[];
}

export interface SlotRequest {
  /** PRODUCT@VERSION */
  release: string;
  environment: string;
  start: string;
  end: string;
}

export interface BookingRequest extends SlotRequest {
  note?: string;
  /** Book despite conflicts; needs a reason. */
  force?: boolean;
  reason?: string;
}

export interface CalendarQuery {
  from?: string;
  to?: string;
  environment?: string;
  product?: string;
  kinds?: string[];
}

export interface Agenda {
  from: string;
  to: string;
  items: AgendaItem[];
}

export interface ProposeQuery {
  product?: string;
  train?: string;
  environment?: string;
  count?: number;
  from?: string;
}

export interface Proposals {
  subject: 'product' | 'train';
  key: string;
  environment: string;
  cadence: string;
  items: Proposal[];
  skipped: Skipped[];
}

const DAY = 86_400_000;

/** A query bound: YYYY-MM-DD (00:00 UTC; as an end, the end of that day) or an ISO-8601 instant. */
export function timeBound(value: string, field: string, endOfDay = false): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
      throw new AppError('bad_request', `${field}: '${value}' is not a real date`);
    }
    return endOfDay ? ms + DAY : ms;
  }
  const ms = parseInstant(value, field);
  if (typeof ms === 'string') throw new AppError('bad_request', `${ms} or a date (YYYY-MM-DD)`);
  return ms;
}

export function agendaKinds(kinds: string[] | undefined): Set<AgendaKind> {
  if (!kinds || kinds.length === 0) return new Set(AGENDA_KINDS);
  for (const k of kinds) {
    if (!(AGENDA_KINDS as readonly string[]).includes(k)) {
      throw new AppError('bad_request', `kinds: '${k}' is not one of ${AGENDA_KINDS.join(', ')}`);
    }
  }
  return new Set(kinds as AgendaKind[]);
}

/** The start and end of a planned window or booking, checked, as ISO-8601 UTC. */
export function checkedRange(r: { start: string; end: string }): { start: string; end: string } {
  const { start, end, problems } = rangeProblems(r.start, r.end);
  if (problems.length || start === undefined || end === undefined) {
    throw new AppError(
      'validation_failed',
      problems.join('; '),
      problems.map((message) => ({ message })),
    );
  }
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

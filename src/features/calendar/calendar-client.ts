import type {
  Agenda,
  BookingRequest,
  CalendarQuery,
  CheckQuery,
  FeedToken,
  OverrideRequest,
  Proposals,
  ProposeQuery,
  SlotRequest,
  WindowDetail,
} from './calendar-api.js';
import type { CheckResult } from './check.js';
import type { Conflict } from './conflicts.js';
import type { Booking, Override, PlannedWindow } from './schedule.js';
import type { Window, WindowInput } from './window.js';

/** What the CLI asks of the calendar, locally or of a server (`Client.calendar`); both answer the same shapes. */
export interface CalendarClient {
  check(q: CheckQuery): Promise<CheckResult>;
  agenda(q: CalendarQuery): Promise<Agenda>;
  ics(q: CalendarQuery): Promise<string>;
  conflicts(q: CalendarQuery): Promise<Conflict[]>;
  propose(q: ProposeQuery): Promise<Proposals>;
  windows(): Promise<Window[]>;
  window(key: string): Promise<WindowDetail>;
  createWindow(input: WindowInput): Promise<Window>;
  removeWindow(key: string): Promise<{ key: string; archived: boolean }>;
  requestOverride(r: OverrideRequest): Promise<Override>;
  approveOverride(id: string): Promise<Override>;
  revokeOverride(id: string, reason?: string): Promise<Override>;
  overrides(q: { environment?: string; all?: boolean }): Promise<Override[]>;
  plan(r: SlotRequest): Promise<{ plan: PlannedWindow; conflicts: Conflict[] }>;
  unplan(r: { release: string; environment: string }): Promise<{ release: string; environment: string; removed: boolean }>;
  plans(q: CalendarQuery): Promise<PlannedWindow[]>;
  book(r: BookingRequest): Promise<{ booking: Booking; conflicts: Conflict[] }>;
  cancelBooking(id: string, reason?: string): Promise<Booking>;
  bookings(q: CalendarQuery & { all?: boolean }): Promise<Booking[]>;
  feedToken(): Promise<FeedToken>;
}

type Call = <T>(method: string, path: string, body?: unknown, query?: Record<string, unknown>) => Promise<T>;

const enc = encodeURIComponent;
const listQuery = (q: CalendarQuery & { all?: boolean }) => ({ ...q, kinds: q.kinds?.join(',') });

/** The calendar over a server's HTTP API (`/api/v1/calendar/…`). */
export function remoteCalendarClient(call: Call): CalendarClient {
  return {
    check: (q) => call('GET', '/calendar/check', undefined, { ...q }),
    agenda: (q) => call('GET', '/calendar/agenda', undefined, listQuery(q)),
    ics: async (q) => (await call<{ ics: string }>('GET', '/calendar/ics', undefined, listQuery(q))).ics,
    conflicts: async (q) => (await call<{ items: Conflict[] }>('GET', '/calendar/conflicts', undefined, listQuery(q))).items,
    propose: (q) => call('GET', '/calendar/propose', undefined, { ...q }),
    windows: async () => (await call<{ items: Window[] }>('GET', '/calendar/windows')).items,
    window: (key) => call('GET', `/calendar/windows/${enc(key)}`),
    createWindow: (input) => call('POST', '/calendar/windows', input),
    removeWindow: (key) => call('DELETE', `/calendar/windows/${enc(key)}`),
    requestOverride: (r) => call('POST', '/calendar/overrides', r),
    approveOverride: (id) => call('POST', `/calendar/overrides/${enc(id)}/approve`, {}),
    revokeOverride: (id, reason) => call('POST', `/calendar/overrides/${enc(id)}/revoke`, reason ? { reason } : {}),
    overrides: async (q) => (await call<{ items: Override[] }>('GET', '/calendar/overrides', undefined, { ...q })).items,
    plan: (r) => call('POST', '/calendar/plans', r),
    unplan: (r) => call('POST', '/calendar/plans/remove', r),
    plans: async (q) => (await call<{ items: PlannedWindow[] }>('GET', '/calendar/plans', undefined, listQuery(q))).items,
    book: (r) => call('POST', '/calendar/bookings', r),
    cancelBooking: (id, reason) => call('POST', `/calendar/bookings/${enc(id)}/cancel`, reason ? { reason } : {}),
    bookings: async (q) => (await call<{ items: Booking[] }>('GET', '/calendar/bookings', undefined, listQuery(q))).items,
    feedToken: () => call('POST', '/calendar/feed-token', {}),
  };
}

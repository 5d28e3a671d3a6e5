import { type CompiledWindow, formatLocal } from './recurrence.js';
import type { WindowSpec } from './window.js';

/**
 * "May this product be promoted into this environment at this instant?" Rules, in order:
 * 1. A freeze (deny) window that is active blocks, unless an approved override covers it, it is
 *    `emergency-only` and the promotion is an emergency, or it is `soft` (reported, never blocking).
 * 2. When allow (maintenance) windows apply, the instant must be inside one of them.
 * 3. Deny wins: an instant inside both an allow and a freeze window is blocked.
 */
export interface ApplicableWindow {
  spec: WindowSpec;
  zone: string;
  compiled: CompiledWindow;
}

/** `Fri 2026-10-23 18:00 Europe/Berlin` */
function at(w: ApplicableWindow, ms: number): string {
  return `${formatLocal(ms, w.zone)} ${w.zone}`;
}

function rule(w: ApplicableWindow): string {
  return w.spec.rrule ? `; rule ${w.spec.rrule}, duration ${w.spec.duration}` : '';
}

/** An approved override of one window, for this environment (and product, or all products), in [start, end). */
export interface ActiveOverride {
  id: string;
  window: string;
  start: number;
  end: number;
}

export interface CheckReason {
  window: string;
  message: string;
}

export interface CheckResult {
  allowed: boolean;
  reasons: CheckReason[];
  nextOpen: string | null;
}

interface Blocker extends CheckReason {
  /** The earliest instant at which this blocker may stop blocking. */
  retryAt: number;
}

export interface CheckInput {
  windows: readonly ApplicableWindow[];
  overrides: readonly ActiveOverride[];
  at: number;
  emergency: boolean;
}

/** How far ahead `nextOpen` looks, and how many changes of state it steps through, before giving up. */
export const NEXT_OPEN_HORIZON_MS = 400 * 86_400_000;
const MAX_STEPS = 2000;

export function checkPromotion(input: CheckInput): CheckResult {
  const { blockers, notes } = evaluate(input, input.at);
  if (blockers.length === 0) return { allowed: true, reasons: notes, nextOpen: new Date(input.at).toISOString() };
  return {
    allowed: false,
    reasons: blockers.map(({ window, message }) => ({ window, message })),
    nextOpen: nextOpen(input, input.at, blockers),
  };
}

function nextOpen(input: CheckInput, from: number, first: Blocker[]): string | null {
  let blockers = first;
  let t = from;
  for (let step = 0; step < MAX_STEPS; step++) {
    // Step to the earliest change any blocker announces; re-evaluate there (another may still block).
    const next = Math.min(...blockers.map((b) => b.retryAt));
    if (!Number.isFinite(next) || next <= t || next - from > NEXT_OPEN_HORIZON_MS) return null;
    t = next;
    blockers = evaluate(input, t).blockers;
    if (blockers.length === 0) return new Date(t).toISOString();
  }
  return null;
}

function overrideFor(overrides: readonly ActiveOverride[], window: string, t: number): ActiveOverride | undefined {
  return overrides.find((o) => o.window === window && o.start <= t && t < o.end);
}

/** The next instant after `t` an override of this window starts, if any (it may open the window early). */
function nextOverrideStart(overrides: readonly ActiveOverride[], window: string, t: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (const o of overrides) if (o.window === window && o.start > t && o.start < best) best = o.start;
  return best;
}

function evaluate(input: CheckInput, t: number): { blockers: Blocker[]; notes: CheckReason[] } {
  const blockers: Blocker[] = [];
  const notes: CheckReason[] = [];
  const allows: ApplicableWindow[] = [];
  let insideAllow = false;
  for (const w of input.windows) {
    if (w.spec.kind === 'allow') {
      allows.push(w);
      if (w.compiled.activeAt(t) || overrideFor(input.overrides, w.spec.key, t)) insideAllow = true;
      continue;
    }
    const occ = w.compiled.activeAt(t);
    if (!occ) continue;
    const span = `from ${formatLocal(occ.start, w.zone)} to ${at(w, occ.end)}`;
    const what = `freeze '${w.spec.key}'${w.spec.reason ? ` (${w.spec.reason})` : ''} is active ${span}${rule(w)}`;
    const override = overrideFor(input.overrides, w.spec.key, t);
    if (override) {
      notes.push({ window: w.spec.key, message: `${what}; overridden by ${override.id} until ${new Date(override.end).toISOString()}` });
    } else if (w.spec.severity === 'soft') {
      notes.push({ window: w.spec.key, message: `${what}; soft freeze: reported, not blocking` });
    } else if (w.spec.severity === 'emergency-only' && input.emergency) {
      notes.push({ window: w.spec.key, message: `${what}; emergency-only freeze: allowed as an emergency` });
    } else {
      const only = w.spec.severity === 'emergency-only' ? '; only emergencies may pass' : '';
      blockers.push({
        window: w.spec.key,
        message: `${what}${only}`,
        retryAt: Math.min(occ.end, nextOverrideStart(input.overrides, w.spec.key, t)),
      });
    }
  }
  if (allows.length > 0 && !insideAllow) {
    for (const w of allows) {
      const next = w.compiled.nextStart(t);
      const opens = Math.min(next ?? Number.POSITIVE_INFINITY, nextOverrideStart(input.overrides, w.spec.key, t));
      blockers.push({
        window: w.spec.key,
        message: `outside maintenance window '${w.spec.key}'${w.spec.reason ? ` (${w.spec.reason})` : ''}; ${
          Number.isFinite(opens) ? `it opens next at ${at(w, opens)}${rule(w)}` : 'it does not open again'
        }`,
        retryAt: opens,
      });
    }
  }
  return { blockers, notes };
}

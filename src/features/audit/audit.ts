import { createHash } from 'node:crypto';

/** The hash the first event of a chain points back to. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditInput {
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  before?: unknown;
  after?: unknown;
}

/** One stored event, as it is hashed: before/after are kept as the exact canonical JSON that was hashed. */
export interface AuditRecord {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  before: string | null;
  after: string | null;
  prevHash: string;
  hash: string;
}

export interface AuditEvent {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  before: unknown;
  after: unknown;
  hash: string;
}

/** JSON with object keys sorted at every level, so that equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function hashEvent(event: Omit<AuditRecord, 'hash'>): string {
  const material = canonicalJson([
    event.seq,
    event.id,
    event.at,
    event.actor,
    event.action,
    event.subjectType,
    event.subjectId,
    event.before,
    event.after,
    event.prevHash,
  ]);
  return createHash('sha256').update(material).digest('hex');
}

export interface ChainBreak {
  seq: number;
  id: string;
  reason: string;
}

/**
 * Walks a run of events in sequence order and returns the first one that does not follow from the one
 * before it: a changed field (hash mismatch), a removed or reordered event (gap or wrong back-link).
 */
export function findChainBreak(
  events: Iterable<AuditRecord>,
  previous: { seq: number; hash: string },
): { break: ChainBreak | null; last: { seq: number; hash: string } } {
  let last = previous;
  for (const e of events) {
    if (e.seq !== last.seq + 1) {
      return {
        break: { seq: e.seq, id: e.id, reason: `expected event #${last.seq + 1} next, found #${e.seq} (events removed)` },
        last,
      };
    }
    if (e.prevHash !== last.hash) {
      return { break: { seq: e.seq, id: e.id, reason: 'its link to the previous event does not match' }, last };
    }
    if (hashEvent(e) !== e.hash) {
      return { break: { seq: e.seq, id: e.id, reason: 'its content does not match its hash (edited)' }, last };
    }
    last = { seq: e.seq, hash: e.hash };
  }
  return { break: null, last };
}

import type { Clock } from '../../platform/clock.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import {
  type AuditEvent,
  type AuditInput,
  type AuditRecord,
  type ChainBreak,
  canonicalJson,
  findChainBreak,
  GENESIS_HASH,
  hashEvent,
} from './audit.js';
import {
  type AuditQuery,
  advanceHead,
  type HeldHead,
  type InsertOptions,
  insertEvents,
  listEvents,
  lockHead,
  readBatch,
  readHead,
} from './audit-store.js';

/**
 * Appends events to the hash chain. Callers pass their open transaction so that the event commits or rolls
 * back together with the change it records.
 */
export class AuditLog {
  constructor(private readonly deps: { clock: Clock }) {}

  async record(trx: Queryable, input: AuditInput): Promise<AuditRecord> {
    return (await this.recordAll(trx, [input]))[0] as AuditRecord;
  }

  /**
   * Appends several events in order with one advance of the chain's head and one insert: the same events,
   * sequence numbers and hashes as recording them one by one, in a third of the statements or fewer.
   */
  async recordAll(trx: Queryable, inputs: readonly AuditInput[], options: InsertOptions = {}): Promise<AuditRecord[]> {
    if (inputs.length === 0) return [];
    let { seq, prevHash } = options.held
      ? { seq: options.held.seq + 1, prevHash: options.held.hash }
      : await advanceHead(trx, inputs.length);
    const at = this.deps.clock.now();
    const records: AuditRecord[] = [];
    for (const input of inputs) {
      const unhashed = {
        seq,
        id: newId(at),
        at: at.toISOString(),
        actor: input.actor,
        action: input.action,
        subjectType: input.subjectType,
        subjectId: input.subjectId,
        before: input.before === undefined ? null : canonicalJson(input.before),
        after: input.after === undefined ? null : canonicalJson(input.after),
        prevHash,
      };
      const record = { ...unhashed, hash: hashEvent(unhashed) };
      records.push(record);
      seq++;
      prevHash = record.hash;
    }
    await insertEvents(trx, records, options);
    return records;
  }

  /**
   * See lockHead: for callers that collect events during a transaction and record them at its end (passing
   * what it returns to recordAll as `held`).
   */
  lock(trx: Queryable): Promise<HeldHead | null> {
    return lockHead(trx);
  }
}

export interface VerifyResult {
  ok: boolean;
  events: number;
  headHash: string;
  firstBroken: ChainBreak | null;
}

export function toEvent(r: AuditRecord): AuditEvent {
  return {
    seq: r.seq,
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    subjectType: r.subjectType,
    subjectId: r.subjectId,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
    hash: r.hash,
  };
}

export class AuditService {
  constructor(private readonly deps: { db: Db }) {}

  async list(q: AuditQuery): Promise<AuditEvent[]> {
    return (await listEvents(this.deps.db, q)).map(toEvent);
  }

  /** Re-hashes the whole chain in batches (flat memory) and names the first event that does not fit. */
  async verify(): Promise<VerifyResult> {
    const { db } = this.deps;
    let last = { seq: 0, hash: GENESIS_HASH };
    let count = 0;
    for (;;) {
      const batch = await readBatch(db, last.seq, 2000);
      if (batch.length === 0) break;
      const result = findChainBreak(batch, last);
      if (result.break) return { ok: false, events: count, headHash: last.hash, firstBroken: result.break };
      count += batch.length;
      last = result.last;
    }
    const head = await readHead(db);
    if (head.seq !== last.seq || head.hash !== last.hash) {
      const missing = head.seq > last.seq ? `events #${last.seq + 1}..#${head.seq} are missing` : 'the head does not match';
      return {
        ok: false,
        events: count,
        headHash: last.hash,
        firstBroken: { seq: last.seq + 1, id: '', reason: `the chain ends early: ${missing}` },
      };
    }
    return { ok: true, events: count, headHash: last.hash, firstBroken: null };
  }
}

import { describe, expect, it } from 'vitest';
import { type AuditRecord, canonicalJson, findChainBreak, GENESIS_HASH, hashEvent } from './audit.js';

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const e = {
      seq,
      id: `E${seq}`,
      at: `2026-11-26T10:00:0${seq % 10}.000Z`,
      actor: 'alice',
      action: 'release.created',
      subjectType: 'release',
      subjectId: `R${seq}`,
      before: null,
      after: canonicalJson({ version: `1.0.${seq}` }),
      prevHash: prev,
    };
    const record = { ...e, hash: hashEvent(e) };
    out.push(record);
    prev = record.hash;
  }
  return out;
}

describe('audit hash chain', () => {
  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 3 } })).toBe('{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('an untouched chain verifies', () => {
    const events = chain(5);
    const result = findChainBreak(events, { seq: 0, hash: GENESIS_HASH });
    expect(result.break).toBeNull();
    expect(result.last.seq).toBe(5);
  });

  it('names the first edited event', () => {
    const events = chain(5);
    events[2] = { ...(events[2] as AuditRecord), actor: 'mallory' };
    expect(findChainBreak(events, { seq: 0, hash: GENESIS_HASH }).break).toMatchObject({
      seq: 3,
      id: 'E3',
      reason: expect.stringMatching(/edited/),
    });
  });

  it('detects a removed event', () => {
    const events = chain(5);
    events.splice(1, 1);
    expect(findChainBreak(events, { seq: 0, hash: GENESIS_HASH }).break).toMatchObject({
      seq: 3,
      reason: expect.stringMatching(/removed/),
    });
  });

  it('detects an event re-hashed after editing (its successor no longer links to it)', () => {
    const events = chain(4);
    const edited = { ...(events[1] as AuditRecord), actor: 'mallory' };
    events[1] = { ...edited, hash: hashEvent(edited) };
    expect(findChainBreak(events, { seq: 0, hash: GENESIS_HASH }).break).toMatchObject({ seq: 3, reason: expect.stringMatching(/link/) });
  });
});

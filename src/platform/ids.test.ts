import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { newId } from './ids.js';

describe('ids', () => {
  it('carry the time they were made for', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    expect(decodeTime(newId(at))).toBe(at.getTime());
  });

  it('made for one millisecond sort in the order they were made, even for a past time', () => {
    newId(); // now: later than the time below
    const at = new Date('2025-06-01T00:00:00Z');
    const ids = Array.from({ length: 1000 }, () => newId(at));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });

  it('draw their random part from every one of the 32 symbols, never repeating it', () => {
    const base = Date.parse('2024-03-01T00:00:00Z');
    const random = Array.from({ length: 3000 }, (_, i) => newId(new Date(base + i)).slice(10));
    expect(new Set(random).size).toBe(3000);
    expect(new Set(random.join('')).size).toBe(32);
  });
});

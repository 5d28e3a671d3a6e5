import { randomFillSync } from 'node:crypto';
import { incrementBase32, TIME_LEN, ulid } from 'ulid';

/**
 * ulid's own source of randomness asks the system for one byte per character (16 calls per id); this takes
 * them from a pool refilled 4 KiB at a time from the same cryptographic source. A byte / 256 picks each of
 * the 32 characters equally often, as ulid's does.
 */
const pool = new Uint8Array(4096);
let used = pool.length;
function randomFraction(): number {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  return (pool[used++] as number) / 256;
}

/** The last id made for each recent millisecond, so ids of one millisecond sort in creation order. */
const lastByTime = new Map<number, string>();

/**
 * A new ULID: sortable by creation time, so "newest first" is "highest id first". Ids made for the same
 * millisecond (including a past one, when dated history is loaded) sort in the order they were made.
 */
export function newId(at?: Date): string {
  const time = at ? at.getTime() : Date.now();
  const last = lastByTime.get(time);
  const id = last ? last.slice(0, TIME_LEN) + incrementBase32(last.slice(TIME_LEN)) : ulid(time, randomFraction);
  lastByTime.delete(time);
  lastByTime.set(time, id);
  if (lastByTime.size > 256) lastByTime.delete(lastByTime.keys().next().value as number);
  return id;
}

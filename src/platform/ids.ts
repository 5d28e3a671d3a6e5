import { randomFillSync } from 'node:crypto';
import { incrementBase32, TIME_LEN, ulid } from 'ulid';

/**
 * Random bytes drawn 4 KiB at a time. ulid's default generator asks the system for one byte per character
 * (16 calls per id, each a system call costing several microseconds here), and every HTTP request gets an id.
 */
const pool = new Uint8Array(4096);
let next = pool.length;
function random(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  // 256 is a multiple of ulid's 32 symbols, so every symbol stays equally likely.
  return (pool[next++] as number) / 256;
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
  const id = last ? last.slice(0, TIME_LEN) + incrementBase32(last.slice(TIME_LEN)) : ulid(time, random);
  lastByTime.delete(time);
  lastByTime.set(time, id);
  if (lastByTime.size > 256) lastByTime.delete(lastByTime.keys().next().value as number);
  return id;
}

import { monotonicFactory, ulid } from 'ulid';

const next = monotonicFactory();
let lastTime = 0;

/**
 * A new ULID: sortable by creation time, so "newest first" is "highest id first". Ids made in one
 * millisecond stay in creation order; an id for an earlier time (loading dated history) gets that time.
 */
export function newId(at?: Date): string {
  const time = at ? at.getTime() : Date.now();
  if (time >= lastTime) {
    lastTime = time;
    return next(time);
  }
  return ulid(time);
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still (or is moved by hand): for tests and for loading dated demo history. */
export function fixedClock(at: Date): Clock & { set(next: Date): void } {
  let current = at;
  return {
    now: () => current,
    set(next: Date) {
      current = next;
    },
  };
}

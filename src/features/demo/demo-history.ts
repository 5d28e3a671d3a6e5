import type { ChangeType } from '../releases/change.js';
import type { ReleaseStatus } from '../releases/release.js';

/** One dated step of the demo history, replayed through the real services so audit events exist too. */
export type HistoryStep =
  | { at: Date; kind: 'release'; product: string; version: string; title: string; targetDate: string; author: string; train?: string }
  | { at: Date; kind: 'status'; ref: string; status: ReleaseStatus; actor: string }
  | {
      at: Date;
      kind: 'changes';
      ref: string;
      actor: string;
      changes: { type: ChangeType; ref: string; title: string; author: string; breaking: boolean }[];
    }
  | { at: Date; kind: 'deployment'; ref: string; environment: string; status: 'succeeded' | 'failed' | 'rolled_back'; actor: string };

export interface DemoProduct {
  key: string;
  environments: string[];
  train?: string;
}

const PEOPLE = ['alice', 'bob', 'chen', 'dana', 'emre', 'fatima', 'gus', 'hana'];
const SUBJECTS: Record<string, string[]> = {
  feat: [
    'add saved carts',
    'support gift cards',
    'expose stock levels',
    'add passkey sign-in',
    'paginate search results',
    'add order webhooks',
  ],
  fix: [
    'handle empty basket',
    'retry on gateway timeout',
    'correct VAT rounding',
    'stop double emails',
    'fix session expiry',
    'fix locale fallback',
  ],
  perf: ['cache price lookups', 'batch inventory reads'],
  deps: ['bump fastify to 5.12', 'bump pg to 8.23'],
};

/** A small deterministic PRNG (mulberry32), so every demo database tells the same story. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Builds `months` of realistic history ending at `now`: each product releases every one to three weeks,
 * each release moves through its track with a few hours or days between environments, some promotions fail
 * and are rolled back, and the newest releases are still in flight.
 */
export function demoHistory(products: DemoProduct[], now: Date, months = 4): HistoryStep[] {
  const rnd = random(20261126);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const steps: HistoryStep[] = [];
  const start = now.getTime() - months * 30 * DAY;

  products.forEach((p, index) => {
    let major = 1 + (index % 3);
    let minor = 0;
    let patch = 0;
    let t = start + rnd() * 7 * DAY;
    while (t < now.getTime() - 2 * DAY) {
      const kind = rnd();
      if (kind < 0.08) {
        major += 1;
        minor = 0;
        patch = 0;
      } else if (kind < 0.6) {
        minor += 1;
        patch = 0;
      } else {
        patch += 1;
      }
      const version = `${major}.${minor}.${patch}`;
      const ref = `${p.key}@${version}`;
      const author = pick(PEOPLE);
      const created = new Date(t);
      const target = new Date(t + (7 + Math.floor(rnd() * 7)) * DAY).toISOString().slice(0, 10);
      steps.push({
        at: created,
        kind: 'release',
        product: p.key,
        version,
        title: `${p.key} ${version}`,
        targetDate: target,
        author,
        train: p.train,
      });
      const changeCount = 2 + Math.floor(rnd() * 6);
      steps.push({
        at: new Date(t + HOUR),
        kind: 'changes',
        ref,
        actor: author,
        changes: Array.from({ length: changeCount }, (_, i) => {
          const type = pick(['feat', 'feat', 'fix', 'fix', 'fix', 'perf', 'deps'] as const);
          return {
            type,
            ref: `#${100 + index * 500 + (Math.floor(t / DAY) % 400) + i}`,
            title: pick(SUBJECTS[type] ?? []),
            author: pick(PEOPLE),
            breaking: kind < 0.08 && i === 0,
          };
        }),
      });
      let at = t + 2 * HOUR;
      steps.push({ at: new Date(at), kind: 'status', ref, status: 'in_progress', actor: author });
      const inFlight = t > now.getTime() - 10 * DAY;
      const envs = inFlight ? p.environments.slice(0, 1 + Math.floor(rnd() * (p.environments.length - 1))) : p.environments;
      let failed = false;
      let reached = 0;
      for (const env of envs) {
        at += (env === 'prod' ? 1 + rnd() * 2 : rnd()) * DAY;
        if (at > now.getTime()) break;
        reached++;
        const outcome = rnd();
        const status = outcome < 0.07 ? 'failed' : outcome < 0.1 ? 'rolled_back' : 'succeeded';
        steps.push({ at: new Date(at), kind: 'deployment', ref, environment: env, status, actor: env === 'prod' ? 'release-bot' : 'ci' });
        if (status !== 'succeeded') {
          failed = true;
          break;
        }
        if (env === 'staging') {
          steps.push({ at: new Date(at + HOUR), kind: 'status', ref, status: 'ready', actor: 'release-manager' });
        }
      }
      // Older releases end: cancelled after a failure, released once they reached the end of their track.
      // Newer ones stay open (a failure is fixed forward).
      if (!inFlight && (failed || reached === envs.length)) {
        if (failed) steps.push({ at: new Date(at + 2 * HOUR), kind: 'status', ref, status: 'cancelled', actor: 'release-manager' });
        else steps.push({ at: new Date(at + HOUR), kind: 'status', ref, status: 'released', actor: 'release-manager' });
      }
      t += (7 + rnd() * 14) * DAY;
    }
    // What is planned next: a release with a target date in the coming weeks and nothing done yet.
    const next = `${major}.${minor + 1}.0`;
    const target = new Date(now.getTime() + (5 + Math.floor(rnd() * 20)) * DAY).toISOString().slice(0, 10);
    steps.push({
      at: new Date(now.getTime() - DAY),
      kind: 'release',
      product: p.key,
      version: next,
      title: `${p.key} ${next}`,
      targetDate: target,
      author: pick(PEOPLE),
      train: p.train,
    });
  });
  return steps.sort((a, b) => a.at.getTime() - b.at.getTime());
}

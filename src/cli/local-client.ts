import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { systemClock } from '../platform/clock.js';
import type { Services } from '../platform/container.js';
import { createCoreServices } from '../platform/container-core.js';
import { openMigratedDatabase } from '../platform/db/migrations.js';
import type { Client } from './client.js';

/**
 * The CLI against a database file or URL directly, acting as `actor`. The everyday commands use the core
 * services only; the rest (calendar, gates, reviews, risk, config) load on first use with their libraries,
 * so `railyard releases list` does not pay for recurrence rules or a CEL engine.
 */
export async function openLocalClient(db: string, actor: string): Promise<Client> {
  const database = await openMigratedDatabase(db);
  const s = createCoreServices(database, systemClock);
  let full: Promise<Services> | undefined;
  const all = () => {
    full ??= import('../platform/container.js').then((m) => m.createServices(database, systemClock));
    return full;
  };
  const page = <T extends { id: string }>(items: T[], limit: number) => ({
    items,
    nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null,
  });
  return {
    products: () => s.catalog.products(),
    product: (key) => s.catalog.product(key),
    environments: () => s.catalog.environments(),
    tracks: () => s.catalog.tracks(),
    trains: () => s.catalog.trains(),
    listReleases: async ({ cursor, ...q }) => page(await s.releases.list({ ...q, before: cursor }), q.limit),
    createRelease: (input) => s.releases.create(input, actor),
    showRelease: (ref) => s.releases.show(ref),
    setReleaseStatus: (ref, status, reason) => s.releases.setStatus(ref, status, actor, reason),
    addChanges: (ref, changes) => s.releases.addChanges(ref, changes, actor),
    listDeployments: async ({ cursor, ...q }) => page(await s.deployments.list({ ...q, before: cursor }), q.limit),
    recordDeployment: (input) => s.deployments.record(input, actor),
    listAudit: async ({ cursor, ...q }) => {
      const items = await s.audit.list({ ...q, beforeSeq: cursor });
      return { items, nextCursor: items.length === q.limit ? (items.at(-1)?.seq ?? null) : null };
    },
    verifyAudit: () => s.audit.verify(),
    apply: async (yaml, file, dryRun) => (await all()).config.apply(yaml, file, { dryRun }, actor),
    calendar: lazyGroup(async () => {
      const [{ localCalendarClient }, f] = await Promise.all([import('../features/calendar/schedule-service.js'), all()]);
      return localCalendarClient(f.calendar, f.schedule, actor);
    }),
    addEvidence: async ({ path, ...input }) =>
      (await all()).evidence.add({ ...input, ...(path ? { content: createReadStream(path), file: basename(path) } : {}) }, actor),
    listEvidence: async (ref, history) => (await all()).evidence.list(ref, history),
    checkGate: async (ref, env) => (await all()).gates.check(ref, env, actor),
    approve: async (input) => (await all()).approvals.approve(input, actor),
    approvals: async (ref, env) => (await all()).approvals.status(ref, env),
    reviews: lazyGroup(async () => {
      const [{ localReviewClient }, f] = await Promise.all([import('../features/reviews/report-service.js'), all()]);
      return localReviewClient(f.reviews, f.reports, actor);
    }),
    risk: lazyGroup(async () => {
      const [{ localRiskClient }, f] = await Promise.all([import('../features/risk/risk-service.js'), all()]);
      return localRiskClient(f.risk, actor);
    }),
    runs: lazyGroup(async () => {
      const [{ localRunClient }, f] = await Promise.all([import('../features/plans/worker-service.js'), all()]);
      return localRunClient(f, actor);
    }),
    close: () => database.close(),
  };
}

/**
 * A group of async operations whose implementation is made on first call. Every member of such a group is an
 * async function, so a member can be handed out before the implementation exists.
 */
function lazyGroup<T extends object>(make: () => Promise<T>): T {
  let made: Promise<T> | undefined;
  return new Proxy({} as T, {
    get: (_target, name) => {
      if (name === 'then') return undefined; // not a promise itself
      return async (...args: unknown[]) => {
        made ??= make();
        const group = (await made) as Record<string | symbol, (...a: unknown[]) => unknown>;
        const member = group[name];
        if (typeof member !== 'function') throw new TypeError(`no operation ${String(name)}`);
        return member.apply(group, args);
      };
    },
  });
}

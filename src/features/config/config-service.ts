import type { Clock } from '../../platform/clock.js';
import { archiveByKey, type DeclaredTable } from '../../platform/db/archive.js';
import { type Db, isUniqueViolation, type Queryable } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { canonicalJson } from '../audit/audit.js';
import type { AuditLog } from '../audit/audit-service.js';
import { archiveWindow, bumpCalendarVersion, storedWindows, upsertWindow } from '../calendar/calendar-store.js';
import type { WindowSpec } from '../calendar/window.js';
import { storedEnvironments, storedTracks, upsertEnvironment, upsertTrack } from '../environments/environment-store.js';
import { archivePolicy, storedPolicies, upsertPolicy } from '../gates/policy-store.js';
import { replaceDependencies, storedProducts, upsertProduct } from '../products/product-store.js';
import { storedTrains, upsertTrain } from '../releases/train-store.js';
import {
  type CurrentState,
  type DesiredState,
  type EnvironmentSpec,
  KINDS,
  type Kind,
  normalize,
  type Plan,
  type ProductSpec,
  planChanges,
  specsOf,
  type TrackSpec,
  type TrainSpec,
} from './config-plan.js';

export interface ApplyResult extends Plan {
  dryRun: boolean;
  file: string;
}

/** Applies railyard.yaml: validate, compare with what is stored, then change everything in one transaction. */
export class ConfigService {
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog }) {}

  async apply(text: string, file: string, options: { dryRun: boolean }, actor: string): Promise<ApplyResult> {
    // The YAML parser and schema validator load here, not at start-up: most commands never need them.
    const { parseConfig } = await import('./config-document.js');
    const desired = normalize(parseConfig(text, file));
    if (options.dryRun) {
      return { file, dryRun: true, ...planChanges(desired, await currentState(this.deps.db)) };
    }
    try {
      return await this.deps.db.transaction().execute(async (trx) => {
        const plan = planChanges(desired, await currentState(trx));
        await this.execute(trx, desired, plan, actor);
        return { file, dryRun: false, ...plan };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new AppError(
        'conflict',
        'another apply created some of the same things at the same moment; nothing was changed, run apply again',
      );
    }
  }

  private async execute(trx: Queryable, desired: DesiredState, plan: Plan, actor: string): Promise<void> {
    const now = this.deps.clock.now().toISOString();
    // The calendar caches environments, products and windows until its version moves.
    if (plan.created + plan.updated + plan.deleted > 0) await bumpCalendarVersion(trx);
    const specs = new Map<string, { key: string }>();
    for (const kind of KINDS) for (const spec of specsOf(desired, kind)) specs.set(`${kind}:${spec.key}`, spec);
    const upsert: Record<Kind, (spec: never, json: string) => Promise<string>> = {
      plan: (spec: { key: string }, json) => upsertPolicy(trx, 'plan', spec.key, json, now),
      environment: (spec: EnvironmentSpec, json) => upsertEnvironment(trx, spec, json, now),
      track: (spec: TrackSpec, json) => upsertTrack(trx, spec, json, now),
      product: (spec: ProductSpec, json) => upsertProduct(trx, spec, json, now),
      train: (spec: TrainSpec, json) => upsertTrain(trx, spec, json, now),
      gate: (spec: { key: string }, json) => upsertPolicy(trx, 'gate', spec.key, json, now),
      review: (spec: { key: string }, json) => upsertPolicy(trx, 'review', spec.key, json, now),
      risk: (spec: { key: string }, json) => upsertPolicy(trx, 'risk', spec.key, json, now),
      window: (spec: WindowSpec, json) => upsertWindow(trx, spec, json, 'config', now),
    };
    const record = (kind: Kind, id: string, action: string, before: unknown, after: unknown) =>
      this.deps.audit.record(trx, { actor, action: `${kind}.${action}`, subjectType: kind, subjectId: id, before, after });

    // Creates and updates in dependency order: plans before the environments that name them, environments
    // before the tracks that list them, products before their dependencies and the trains they ride.
    for (const kind of KINDS) {
      for (const item of plan.items.filter((i) => i.kind === kind && (i.action === 'create' || i.action === 'update'))) {
        const spec = specs.get(`${kind}:${item.key}`) as never;
        const id = await upsert[kind](spec, canonicalJson(spec));
        const before =
          item.action === 'update' || item.restore ? Object.fromEntries(item.changes.map((c) => [c.field, c.from])) : undefined;
        await record(kind, id, item.restore ? 'restored' : `${item.action}d`, before, spec);
      }
      if (kind === 'product') {
        const declared = plan.items.filter((i) => i.kind === 'product' && i.action !== 'delete' && i.action !== 'unchanged');
        await replaceDependencies(trx, new Map(declared.map((i) => [i.key, (specs.get(`product:${i.key}`) as ProductSpec).dependsOn])));
      }
    }
    // Deletes archive, in the reverse order.
    for (const kind of [...KINDS].reverse()) {
      for (const item of plan.items.filter((i) => i.kind === kind && i.action === 'delete')) {
        const id =
          kind === 'window'
            ? await archiveWindow(trx, item.key, now)
            : kind === 'gate' || kind === 'review' || kind === 'risk' || kind === 'plan'
              ? await archivePolicy(trx, kind, item.key, now)
              : await archiveByKey(trx, TABLES[kind], item.key, now);
        if (id) await record(kind, id, 'archived', { key: item.key }, undefined);
      }
    }
  }
}

const TABLES: Record<Exclude<Kind, 'gate' | 'review' | 'risk' | 'plan' | 'window'>, DeclaredTable> = {
  environment: 'environments',
  track: 'tracks',
  product: 'products',
  train: 'trains',
};

async function currentState(db: Queryable): Promise<CurrentState> {
  const [plan, environment, track, product, train, gate, review, risk, window] = await Promise.all([
    storedPolicies(db, 'plan'),
    storedEnvironments(db),
    storedTracks(db),
    storedProducts(db),
    storedTrains(db),
    storedPolicies(db, 'gate'),
    storedPolicies(db, 'review'),
    storedPolicies(db, 'risk'),
    storedWindows(db),
  ]);
  return { plan, environment, track, product, train, gate, review, risk, window };
}

import { canonicalJson } from '../audit/audit.js';
import type { Cadence } from '../calendar/cadence.js';
import { normalizeWindow, type WindowSpec } from '../calendar/window.js';
import { defaultProtected, type Tier } from '../environments/environment.js';
import { type ApprovalRule, type GateSpec, gateSpecs, type ReviewTemplateSpec, reviewTemplateSpecs } from '../gates/gate-config.js';
import type { PlanSpec } from '../plans/plan.js';
import { planSpecs } from '../plans/plan-config.js';
import { DEFAULT_TAG_FORMAT, type Dependency } from '../products/product.js';
import { type RiskPolicySpec, riskSpecs } from '../risk/risk-config.js';
import type { ConfigFile } from './config-schema.js';

/** What the file declares, with every default filled in, so that stored and declared specs compare equal. */
export interface ProductSpec {
  key: string;
  name: string;
  description: string;
  repo: string | null;
  path: string | null;
  tagFormat: string;
  owners: string[];
  notify: string[];
  track: string | null;
  dependsOn: Dependency[];
  /** Only present when declared (as are cadences), so products without them keep their stored spec. */
  tags?: string[];
  cadence?: Cadence;
  /** Plans by environment key that replace the environment's own (only present when declared). */
  plans?: Record<string, string>;
}

export interface EnvironmentSpec {
  key: string;
  name: string;
  tier: Tier;
  timezone: string;
  protected: boolean;
  concurrency: number;
  position: number;
  /** Only present when declared, so environments without a rule keep their stored spec. */
  approvals?: ApprovalRule;
  tags?: string[];
  /** Key of the plan a promotion into it runs (only present when declared). */
  plan?: string;
}

export interface TrackSpec {
  key: string;
  name: string;
  environments: string[];
}

export interface TrainSpec {
  key: string;
  name: string;
  products: string[];
  cadence?: Cadence;
}

export interface DesiredState {
  plans: PlanSpec[];
  environments: EnvironmentSpec[];
  tracks: TrackSpec[];
  products: ProductSpec[];
  trains: TrainSpec[];
  gates: GateSpec[];
  reviews: ReviewTemplateSpec[];
  risk: RiskPolicySpec[];
  windows: WindowSpec[];
}

/** In the order they are created: plans before the environments that name them. */
export const KINDS = ['plan', 'environment', 'track', 'product', 'train', 'gate', 'review', 'risk', 'window'] as const;
export type Kind = (typeof KINDS)[number];

export function normalize(config: ConfigFile): DesiredState {
  return {
    plans: planSpecs(config),
    environments: (config.environments ?? []).map((e, position) => ({
      key: e.key,
      name: e.name ?? e.key,
      tier: e.tier as Tier,
      timezone: e.timezone ?? 'UTC',
      protected: e.protected ?? defaultProtected(e.tier as Tier),
      concurrency: e.concurrency ?? 1,
      position,
      ...(e.approvals ? { approvals: e.approvals } : {}),
      ...(e.tags?.length ? { tags: [...e.tags] } : {}),
      ...(e.plan ? { plan: e.plan } : {}),
    })),
    tracks: (config.tracks ?? []).map((t) => ({ key: t.key, name: t.name ?? t.key, environments: [...t.environments] })),
    products: (config.products ?? []).map((p) => ({
      key: p.key,
      name: p.name ?? p.key,
      description: p.description ?? '',
      repo: p.repo ?? null,
      path: p.path ?? null,
      tagFormat: p.tagFormat ?? DEFAULT_TAG_FORMAT,
      owners: [...(p.owners ?? [])],
      notify: [...(p.notify ?? [])],
      track: p.track ?? null,
      dependsOn: (p.dependsOn ?? []).map((d) => ({ product: d.product, range: d.range })),
      ...(p.tags?.length ? { tags: [...p.tags] } : {}),
      ...(p.cadence ? { cadence: p.cadence } : {}),
      ...(p.plans && Object.keys(p.plans).length ? { plans: { ...p.plans } } : {}),
    })),
    trains: (config.trains ?? []).map((t) => ({
      key: t.key,
      name: t.name ?? t.key,
      products: [...t.products],
      ...(t.cadence ? { cadence: t.cadence } : {}),
    })),
    gates: gateSpecs(config),
    reviews: reviewTemplateSpecs(config),
    risk: riskSpecs(config),
    windows: (config.windows ?? []).map(normalizeWindow),
  };
}

export interface StoredEntry {
  key: string;
  /** The canonical JSON of the spec last applied. */
  spec: string;
  archived: boolean;
}

export type CurrentState = Record<Kind, StoredEntry[]>;

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface PlanItem {
  kind: Kind;
  key: string;
  action: 'create' | 'update' | 'delete' | 'unchanged';
  /** A create that brings back something deleted (archived) before, with its history. */
  restore?: boolean;
  changes: FieldChange[];
}

export interface Plan {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  items: PlanItem[];
}

export function specsOf(desired: DesiredState, kind: Kind): { key: string }[] {
  const byKind = {
    plan: desired.plans,
    environment: desired.environments,
    track: desired.tracks,
    product: desired.products,
    train: desired.trains,
    gate: desired.gates,
    review: desired.reviews,
    risk: desired.risk,
    window: desired.windows,
  };
  return byKind[kind];
}

/**
 * Compares the declared state with what is stored. Things the file no longer declares are deleted, which
 * archives them: their releases, deployments and audit history stay.
 */
export function planChanges(desired: DesiredState, current: CurrentState): Plan {
  const items: PlanItem[] = [];
  for (const kind of KINDS) {
    const stored = new Map(current[kind].map((e) => [e.key, e]));
    const declared = specsOf(desired, kind);
    for (const spec of declared) {
      const existing = stored.get(spec.key);
      if (!existing) {
        items.push({ kind, key: spec.key, action: 'create', changes: [] });
      } else if (existing.archived) {
        items.push({ kind, key: spec.key, action: 'create', restore: true, changes: diffFields(JSON.parse(existing.spec), spec) });
      } else if (existing.spec !== canonicalJson(spec)) {
        items.push({ kind, key: spec.key, action: 'update', changes: diffFields(JSON.parse(existing.spec), spec) });
      } else {
        items.push({ kind, key: spec.key, action: 'unchanged', changes: [] });
      }
    }
    const declaredKeys = new Set(declared.map((s) => s.key));
    for (const e of current[kind]) {
      if (!e.archived && !declaredKeys.has(e.key)) items.push({ kind, key: e.key, action: 'delete', changes: [] });
    }
  }
  const count = (a: PlanItem['action']) => items.filter((i) => i.action === a).length;
  return { created: count('create'), updated: count('update'), deleted: count('delete'), unchanged: count('unchanged'), items };
}

function diffFields(before: Record<string, unknown>, after: object): FieldChange[] {
  const changes: FieldChange[] = [];
  const a = after as Record<string, unknown>;
  for (const field of new Set([...Object.keys(before), ...Object.keys(a)])) {
    if (canonicalJson(before[field]) !== canonicalJson(a[field])) changes.push({ field, from: before[field], to: a[field] });
  }
  return changes;
}

import type { Queryable } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { StoredEntry } from '../config/config-plan.js';

/**
 * Gates (kind `gate`, keyed by environment), review templates (kind `review`), risk weights (kind `risk`) and
 * deployment plans (kind `plan`) declared in railyard.yaml.
 */
export type PolicyKind = 'gate' | 'review' | 'risk' | 'plan';

export async function storedPolicies(db: Queryable, kind: PolicyKind): Promise<StoredEntry[]> {
  const rows = await db.selectFrom('policies').select(['key', 'spec', 'archived_at']).where('kind', '=', kind).execute();
  return rows.map((r) => ({ key: r.key, spec: r.spec, archived: r.archived_at !== null }));
}

export async function upsertPolicy(db: Queryable, kind: PolicyKind, key: string, spec: string, now: string): Promise<string> {
  const existing = await db.selectFrom('policies').select('id').where('kind', '=', kind).where('key', '=', key).executeTakeFirst();
  if (existing) {
    await db.updateTable('policies').set({ spec, archived_at: null, updated_at: now }).where('id', '=', existing.id).execute();
    return existing.id;
  }
  const id = newId();
  await db.insertInto('policies').values({ id, kind, key, spec, archived_at: null, created_at: now, updated_at: now }).execute();
  return id;
}

export async function archivePolicy(db: Queryable, kind: PolicyKind, key: string, now: string): Promise<string | undefined> {
  const row = await db
    .updateTable('policies')
    .set({ archived_at: now, updated_at: now })
    .where('kind', '=', kind)
    .where('key', '=', key)
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

/** The spec of a declared (not archived) policy. */
export async function findPolicy<T>(db: Queryable, kind: PolicyKind, key: string): Promise<T | undefined> {
  const row = await db
    .selectFrom('policies')
    .select('spec')
    .where('kind', '=', kind)
    .where('key', '=', key)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  return row ? (JSON.parse(row.spec) as T) : undefined;
}

/** An environment's id and its spec as last applied (which carries its approval rule). */
export async function findEnvironmentSpec(db: Queryable, key: string): Promise<{ id: string; spec: Record<string, unknown> } | undefined> {
  const row = await db
    .selectFrom('environments')
    .select(['id', 'spec'])
    .where('key', '=', key)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  return row ? { id: row.id, spec: JSON.parse(row.spec) as Record<string, unknown> } : undefined;
}

/** Keys of the declared (not archived) policies of a kind, e.g. the environments that have a gate. */
export async function policyKeys(db: Queryable, kind: PolicyKind): Promise<string[]> {
  const rows = await db
    .selectFrom('policies')
    .select('key')
    .where('kind', '=', kind)
    .where('archived_at', 'is', null)
    .orderBy('key')
    .execute();
  return rows.map((r) => r.key);
}

/** Keys of the declared environments that have an approval rule, in their declared order. */
export async function environmentsWithApprovals(db: Queryable): Promise<string[]> {
  const rows = await db.selectFrom('environments').select(['key', 'spec']).where('archived_at', 'is', null).orderBy('position').execute();
  return rows.filter((r) => (JSON.parse(r.spec) as { approvals?: unknown }).approvals !== undefined).map((r) => r.key);
}

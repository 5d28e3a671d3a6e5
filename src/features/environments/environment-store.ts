import type { Queryable } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { StoredEntry } from '../config/config-plan.js';
import type { Environment, Tier, Track } from './environment.js';

type EnvironmentFields = Omit<Environment, 'id' | 'createdAt' | 'updatedAt'>;

export async function storedEnvironments(db: Queryable): Promise<StoredEntry[]> {
  const rows = await db.selectFrom('environments').select(['key', 'spec', 'archived_at']).execute();
  return rows.map((r) => ({ key: r.key, spec: r.spec, archived: r.archived_at !== null }));
}

export async function storedTracks(db: Queryable): Promise<StoredEntry[]> {
  const rows = await db.selectFrom('tracks').select(['key', 'spec', 'archived_at']).execute();
  return rows.map((r) => ({ key: r.key, spec: r.spec, archived: r.archived_at !== null }));
}

export async function upsertEnvironment(db: Queryable, e: EnvironmentFields, spec: string, now: string): Promise<string> {
  const values = {
    name: e.name,
    tier: e.tier,
    timezone: e.timezone,
    protected: e.protected ? 1 : 0,
    concurrency: e.concurrency,
    position: e.position,
    spec,
    archived_at: null,
    updated_at: now,
  };
  const existing = await db.selectFrom('environments').select('id').where('key', '=', e.key).executeTakeFirst();
  if (existing) {
    await db.updateTable('environments').set(values).where('id', '=', existing.id).execute();
    return existing.id;
  }
  const id = newId();
  await db
    .insertInto('environments')
    .values({ id, key: e.key, created_at: now, ...values })
    .execute();
  return id;
}

export async function upsertTrack(
  db: Queryable,
  t: { key: string; name: string; environments: string[] },
  spec: string,
  now: string,
): Promise<string> {
  const values = { name: t.name, spec, archived_at: null, updated_at: now };
  const existing = await db.selectFrom('tracks').select('id').where('key', '=', t.key).executeTakeFirst();
  let id: string;
  if (existing) {
    id = existing.id;
    await db.updateTable('tracks').set(values).where('id', '=', id).execute();
    await db.deleteFrom('track_environments').where('track_id', '=', id).execute();
  } else {
    id = newId();
    await db
      .insertInto('tracks')
      .values({ id, key: t.key, created_at: now, ...values })
      .execute();
  }
  const envs = await db.selectFrom('environments').select(['id', 'key']).where('key', 'in', t.environments).execute();
  const idOf = new Map(envs.map((e) => [e.key, e.id]));
  await db
    .insertInto('track_environments')
    .values(t.environments.map((key, position) => ({ track_id: id, environment_id: idOf.get(key) ?? '', position })))
    .execute();
  return id;
}

export async function listEnvironments(db: Queryable): Promise<Environment[]> {
  const rows = await db.selectFrom('environments').selectAll().where('archived_at', 'is', null).orderBy('position').execute();
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    name: r.name,
    tier: r.tier as Tier,
    timezone: r.timezone,
    protected: Number(r.protected) === 1,
    concurrency: Number(r.concurrency),
    position: Number(r.position),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export async function listTracks(db: Queryable): Promise<Track[]> {
  const rows = await db.selectFrom('tracks').selectAll().where('archived_at', 'is', null).orderBy('key').execute();
  if (rows.length === 0) return [];
  const members = await db
    .selectFrom('track_environments as te')
    .innerJoin('environments as e', 'e.id', 'te.environment_id')
    .select(['te.track_id', 'e.key'])
    .where(
      'te.track_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('te.position')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    name: r.name,
    environments: members.filter((m) => m.track_id === r.id).map((m) => m.key),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

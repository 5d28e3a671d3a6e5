import { type CompiledQuery, sql } from 'kysely';
import { dialectOfDb, type Queryable } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { StoredEntry } from '../config/config-plan.js';
import type { Cadence } from './cadence.js';
import type { Window, WindowSpec } from './window.js';

// ---- windows ----------------------------------------------------------------------------------------------

/** Windows `railyard apply` manages (declared in railyard.yaml). Windows made with the CLI or API are not its business. */
export async function storedWindows(db: Queryable): Promise<StoredEntry[]> {
  const rows = await db.selectFrom('calendar_windows').select(['key', 'spec', 'archived_at']).where('source', '=', 'config').execute();
  return rows.map((r) => ({ key: r.key, spec: r.spec, archived: r.archived_at !== null }));
}

/** Every window or override change moves the calendar's version, so cached compiled windows are reloaded. */
export async function bumpCalendarVersion(db: Queryable): Promise<void> {
  await db.updateTable('calendar_state').set({ version: sql`version + 1` }).where('id', '=', 1).execute();
}

/** Asked before every check: compiled once per dialect (the query builder costs more than the query). */
const versionQueries = new Map<string, CompiledQuery<{ version: number }>>();
export async function calendarVersion(db: Queryable): Promise<number> {
  const dialect = dialectOfDb(db as never);
  let query = versionQueries.get(dialect);
  if (!query) {
    query = db.selectFrom('calendar_state').select('version').where('id', '=', 1).compile();
    versionQueries.set(dialect, query);
  }
  const { rows } = await db.executeQuery(query);
  return Number(rows[0]?.version ?? 0);
}

/** Creates or updates (and un-archives) a window by key; returns its id. */
export async function upsertWindow(db: Queryable, spec: WindowSpec, json: string, source: 'config' | 'api', now: string): Promise<string> {
  const values = { name: spec.name, kind: spec.kind, severity: spec.severity, source, spec: json, archived_at: null, updated_at: now };
  const existing = await db.selectFrom('calendar_windows').select(['id', 'sequence']).where('key', '=', spec.key).executeTakeFirst();
  await bumpCalendarVersion(db);
  if (existing) {
    await db
      .updateTable('calendar_windows')
      .set({ ...values, sequence: Number(existing.sequence) + 1 })
      .where('id', '=', existing.id)
      .execute();
    return existing.id;
  }
  const id = newId();
  await db
    .insertInto('calendar_windows')
    .values({ id, key: spec.key, sequence: 0, created_at: now, ...values })
    .execute();
  return id;
}

export async function archiveWindow(db: Queryable, key: string, now: string): Promise<string | undefined> {
  await bumpCalendarVersion(db);
  const row = await db
    .updateTable('calendar_windows')
    .set({ archived_at: now, updated_at: now, sequence: sql`sequence + 1` })
    .where('key', '=', key)
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

export async function listWindows(db: Queryable): Promise<Window[]> {
  const rows = await db.selectFrom('calendar_windows').selectAll().where('archived_at', 'is', null).orderBy('key').execute();
  return rows.map((r) => ({
    ...(JSON.parse(r.spec) as WindowSpec),
    id: r.id,
    source: r.source as Window['source'],
    sequence: Number(r.sequence),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export async function findWindowRow(db: Queryable, key: string) {
  return db.selectFrom('calendar_windows').selectAll().where('key', '=', key).executeTakeFirst();
}

// ---- the portfolio as the calendar sees it ------------------------------------------------------------------

export interface EnvironmentRow {
  id: string;
  key: string;
  timezone: string;
  concurrency: number;
  protected: boolean;
  tags: string[];
}

/** Tags and cadences are declared in railyard.yaml; the calendar reads them from the spec last applied. */
function fromSpec<T>(spec: string, field: string): T | undefined {
  try {
    return (JSON.parse(spec) as Record<string, unknown>)[field] as T | undefined;
  } catch {
    return undefined;
  }
}

export async function calendarEnvironments(db: Queryable, key?: string): Promise<EnvironmentRow[]> {
  let q = db
    .selectFrom('environments')
    .select(['id', 'key', 'timezone', 'concurrency', 'protected', 'spec'])
    .where('archived_at', 'is', null)
    .orderBy('position');
  if (key !== undefined) q = q.where('key', '=', key);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    timezone: r.timezone,
    concurrency: Number(r.concurrency),
    protected: Number(r.protected) === 1,
    tags: fromSpec<string[]>(r.spec, 'tags') ?? [],
  }));
}

export interface ProductRow {
  id: string;
  key: string;
  tags: string[];
  track: string | null;
  cadence: Cadence | null;
  dependsOn: { product: string; range: string }[];
}

export async function calendarProducts(
  db: Queryable,
  key?: string,
  options: { withDependencies: boolean } = { withDependencies: true },
): Promise<ProductRow[]> {
  let q = db.selectFrom('products').select(['id', 'key', 'spec', 'track_key']).where('archived_at', 'is', null);
  if (key !== undefined) q = q.where('key', '=', key);
  const rows = await q.execute();
  if (rows.length === 0 || !options.withDependencies) return rows.map((r) => toProductRow(r, []));
  const deps = await db
    .selectFrom('product_dependencies as d')
    .innerJoin('products as p', 'p.id', 'd.depends_on_id')
    .select(['d.product_id', 'p.key', 'd.version_range'])
    .$if(key !== undefined, (qb) => qb.where('d.product_id', '=', rows[0]?.id ?? ''))
    .execute();
  const byProduct = new Map<string, { product: string; range: string }[]>();
  for (const d of deps) {
    const list = byProduct.get(d.product_id) ?? [];
    list.push({ product: d.key, range: d.version_range });
    byProduct.set(d.product_id, list);
  }
  return rows.map((r) => toProductRow(r, byProduct.get(r.id) ?? []));
}

function toProductRow(
  r: { id: string; key: string; spec: string; track_key: string | null },
  dependsOn: ProductRow['dependsOn'],
): ProductRow {
  return {
    id: r.id,
    key: r.key,
    tags: fromSpec<string[]>(r.spec, 'tags') ?? [],
    track: r.track_key,
    cadence: fromSpec<Cadence>(r.spec, 'cadence') ?? null,
    dependsOn,
  };
}

export async function calendarTrain(
  db: Queryable,
  key: string,
): Promise<{ key: string; cadence: Cadence | null; products: string[] } | undefined> {
  const row = await db
    .selectFrom('trains')
    .select(['id', 'key', 'spec'])
    .where('key', '=', key)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const members = await db
    .selectFrom('train_products as tp')
    .innerJoin('products as p', 'p.id', 'tp.product_id')
    .select('p.key')
    .where('tp.train_id', '=', row.id)
    .orderBy('p.key')
    .execute();
  return { key: row.key, cadence: fromSpec<Cadence>(row.spec, 'cadence') ?? null, products: members.map((m) => m.key) };
}

export async function trackEnvironments(db: Queryable, track: string): Promise<string[]> {
  const rows = await db
    .selectFrom('track_environments as te')
    .innerJoin('tracks as t', 't.id', 'te.track_id')
    .innerJoin('environments as e', 'e.id', 'te.environment_id')
    .select('e.key')
    .where('t.key', '=', track)
    .orderBy('te.position')
    .execute();
  return rows.map((r) => r.key);
}

/** Versions deployed successfully, by `product|environment`. */
export async function deployedVersions(db: Queryable): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('deployments as d')
    .innerJoin('products as p', 'p.id', 'd.product_id')
    .innerJoin('environments as e', 'e.id', 'd.environment_id')
    .select(['p.key as product', 'e.key as environment', 'd.version'])
    .where('d.status', '=', 'succeeded')
    .distinct()
    .execute();
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const key = `${r.product}|${r.environment}`;
    out.set(key, [...(out.get(key) ?? []), r.version]);
  }
  return out;
}

export async function findReleaseForCalendar(db: Queryable, product: string, version: string) {
  return db
    .selectFrom('releases as r')
    .innerJoin('products as p', 'p.id', 'r.product_id')
    .select(['r.id', 'r.status', 'p.key as product', 'r.version'])
    .where('p.key', '=', product)
    .where('r.version', '=', version)
    .executeTakeFirst();
}

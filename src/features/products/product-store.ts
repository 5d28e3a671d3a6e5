import type { Queryable } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { StoredEntry } from '../config/config-plan.js';
import type { Dependency, Product } from './product.js';

type ProductFields = Omit<Product, 'id' | 'dependsOn' | 'createdAt' | 'updatedAt'>;

export async function storedProducts(db: Queryable): Promise<StoredEntry[]> {
  const rows = await db.selectFrom('products').select(['key', 'spec', 'archived_at']).execute();
  return rows.map((r) => ({ key: r.key, spec: r.spec, archived: r.archived_at !== null }));
}

/** Creates or updates (and un-archives) a product by key; returns its id. */
export async function upsertProduct(db: Queryable, p: ProductFields, spec: string, now: string): Promise<string> {
  const values = {
    name: p.name,
    description: p.description,
    repo: p.repo,
    path: p.path,
    tag_format: p.tagFormat,
    owners: JSON.stringify(p.owners),
    notify: JSON.stringify(p.notify),
    track_key: p.track,
    spec,
    archived_at: null,
    updated_at: now,
  };
  const existing = await db.selectFrom('products').select('id').where('key', '=', p.key).executeTakeFirst();
  if (existing) {
    await db.updateTable('products').set(values).where('id', '=', existing.id).execute();
    return existing.id;
  }
  const id = newId();
  await db
    .insertInto('products')
    .values({ id, key: p.key, created_at: now, ...values })
    .execute();
  return id;
}

/** Replaces the dependencies of the named products with those given (keys resolved to ids). */
export async function replaceDependencies(db: Queryable, deps: Map<string, Dependency[]>): Promise<void> {
  if (deps.size === 0) return;
  const rows = await db.selectFrom('products').select(['id', 'key']).execute();
  const idOf = new Map(rows.map((r) => [r.key, r.id]));
  const ids = [...deps.keys()].map((k) => idOf.get(k)).filter((id): id is string => id !== undefined);
  if (ids.length) await db.deleteFrom('product_dependencies').where('product_id', 'in', ids).execute();
  const values = [...deps].flatMap(([key, list]) =>
    list.map((d) => ({ product_id: idOf.get(key) ?? '', depends_on_id: idOf.get(d.product) ?? '', version_range: d.range })),
  );
  for (let i = 0; i < values.length; i += 500) {
    await db
      .insertInto('product_dependencies')
      .values(values.slice(i, i + 500))
      .execute();
  }
}

export async function listProducts(db: Queryable, keys?: string[]): Promise<Product[]> {
  let q = db.selectFrom('products').selectAll().where('archived_at', 'is', null).orderBy('key');
  if (keys) q = q.where('key', 'in', keys.length ? keys : ['']);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const deps = await db
    .selectFrom('product_dependencies as d')
    .innerJoin('products as p', 'p.id', 'd.depends_on_id')
    .select(['d.product_id', 'p.key', 'd.version_range'])
    .where(
      'd.product_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('p.key')
    .execute();
  const byProduct = new Map<string, Dependency[]>();
  for (const d of deps) {
    const list = byProduct.get(d.product_id) ?? [];
    list.push({ product: d.key, range: d.version_range });
    byProduct.set(d.product_id, list);
  }
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    name: r.name,
    description: r.description,
    repo: r.repo,
    path: r.path,
    tagFormat: r.tag_format,
    owners: JSON.parse(r.owners) as string[],
    notify: JSON.parse(r.notify) as string[],
    track: r.track_key,
    dependsOn: byProduct.get(r.id) ?? [],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export async function findProductId(db: Queryable, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('products').select('id').where('key', '=', key).where('archived_at', 'is', null).executeTakeFirst();
  return row?.id;
}

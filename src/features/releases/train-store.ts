import type { Queryable } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { StoredEntry } from '../config/config-plan.js';
import type { Train } from './train.js';

export async function storedTrains(db: Queryable): Promise<StoredEntry[]> {
  const rows = await db.selectFrom('trains').select(['key', 'spec', 'archived_at']).execute();
  return rows.map((r) => ({ key: r.key, spec: r.spec, archived: r.archived_at !== null }));
}

export async function upsertTrain(
  db: Queryable,
  t: { key: string; name: string; products: string[] },
  spec: string,
  now: string,
): Promise<string> {
  const values = { name: t.name, spec, archived_at: null, updated_at: now };
  const existing = await db.selectFrom('trains').select('id').where('key', '=', t.key).executeTakeFirst();
  let id: string;
  if (existing) {
    id = existing.id;
    await db.updateTable('trains').set(values).where('id', '=', id).execute();
    await db.deleteFrom('train_products').where('train_id', '=', id).execute();
  } else {
    id = newId();
    await db
      .insertInto('trains')
      .values({ id, key: t.key, created_at: now, ...values })
      .execute();
  }
  if (t.products.length) {
    const products = await db.selectFrom('products').select('id').where('key', 'in', t.products).execute();
    await db
      .insertInto('train_products')
      .values(products.map((p) => ({ train_id: id, product_id: p.id })))
      .execute();
  }
  return id;
}

export async function listTrains(db: Queryable): Promise<Train[]> {
  const rows = await db.selectFrom('trains').selectAll().where('archived_at', 'is', null).orderBy('key').execute();
  if (rows.length === 0) return [];
  const members = await db
    .selectFrom('train_products as tp')
    .innerJoin('products as p', 'p.id', 'tp.product_id')
    .select(['tp.train_id', 'p.key'])
    .where(
      'tp.train_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('p.key')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    name: r.name,
    products: members.filter((m) => m.train_id === r.id).map((m) => m.key),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export async function findTrainId(db: Queryable, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('trains').select('id').where('key', '=', key).where('archived_at', 'is', null).executeTakeFirst();
  return row?.id;
}

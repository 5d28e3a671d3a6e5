import type { Queryable } from '../../platform/db/database.js';
import { findEnvironmentSpec, findPolicy } from '../gates/policy-store.js';
import type { PlanSpec } from './plan.js';

/**
 * The plan a promotion of `product` into `environment` runs, as last applied: the product's own choice for that
 * environment (`products[].plans`), else the environment's `plan`. Undefined when neither names one, or the
 * environment is unknown or archived.
 */
export async function findPlanFor(db: Queryable, product: string, environment: string): Promise<PlanSpec | undefined> {
  const env = await findEnvironmentSpec(db, environment);
  if (!env) return undefined;
  const productRow = await db
    .selectFrom('products')
    .select('spec')
    .where('key', '=', product)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  const override = productRow ? (JSON.parse(productRow.spec) as { plans?: Record<string, string> }).plans?.[environment] : undefined;
  const key = override ?? (env.spec as { plan?: string }).plan;
  return key === undefined ? undefined : findPolicy<PlanSpec>(db, 'plan', key);
}

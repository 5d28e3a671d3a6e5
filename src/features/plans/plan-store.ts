import type { Queryable } from '../../platform/db/database.js';
import type { PlanSpec } from './plan.js';

/** TEMPORARY until the config part lands: the plan an environment declares. */
export async function findPlanFor(db: Queryable, product: string, environment: string): Promise<PlanSpec | undefined> {
  const [p, e] = await Promise.all([
    db.selectFrom('products').select('spec').where('key', '=', product).where('archived_at', 'is', null).executeTakeFirst(),
    db.selectFrom('environments').select('spec').where('key', '=', environment).where('archived_at', 'is', null).executeTakeFirst(),
  ]);
  const override = p ? (JSON.parse(p.spec) as { plans?: Record<string, string> }).plans?.[environment] : undefined;
  const key = override ?? (e ? (JSON.parse(e.spec) as { plan?: string }).plan : undefined);
  if (!key) return undefined;
  const row = await db
    .selectFrom('policies')
    .select('spec')
    .where('kind', '=', 'plan')
    .where('key', '=', key)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  return row ? (JSON.parse(row.spec) as PlanSpec) : undefined;
}

import { stringify } from 'yaml';
import type { Services } from '../../src/platform/container.js';
import { newId } from '../../src/platform/ids.js';
import { random } from './workload.js';

/** The calendar benchmark's portfolio: 200 environments in 8 zones, 100 products, 500 recurring windows. */
export const ENVIRONMENTS = 200;
export const PRODUCTS = 100;
export const WINDOWS = 500;
export const PLANNED = 10_000;
export const BOOKINGS = 2_000;
/** "Now" for the benchmark: releases are planned over the year after it. */
export const NOW = Date.parse('2026-12-01T00:00:00Z');
const YEAR = 365 * 86_400_000;

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Tokyo',
  'Australia/Sydney',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'Europe/London',
];
const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

export const envKey = (i: number) => `env-${String(i).padStart(3, '0')}`;
export const productKey = (i: number) => `svc-${String(i).padStart(3, '0')}`;

/** railyard.yaml with the environments, products (with dependencies and tags) and windows. */
export function calendarConfig(): string {
  const rand = random(7);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)] as T;
  // Mostly freezes of one or two environments (weekends, nights, release days), some of one product in a few
  // environments, a handful by tag (pci: every twentieth environment); one in ten is a daily maintenance window.
  const windows = Array.from({ length: WINDOWS }, (_, i) => {
    const allow = i % 10 === 0;
    const scope = rand();
    const env = () => envKey(Math.floor(rand() * ENVIRONMENTS));
    return {
      key: `w-${String(i).padStart(3, '0')}`,
      kind: allow ? 'allow' : 'freeze',
      ...(allow || scope < 0.75
        ? { environments: [...new Set([env(), ...(allow || scope < 0.45 ? [] : [env()])])] }
        : scope < 0.98
          ? { products: [productKey(Math.floor(rand() * PRODUCTS))], environments: [env(), env(), env()] }
          : { tags: ['pci'] }),
      rrule: allow
        ? `FREQ=DAILY;BYHOUR=${Math.floor(rand() * 24)}`
        : `FREQ=WEEKLY;BYDAY=${pick(DAYS)};BYHOUR=${Math.floor(rand() * 24)};BYMINUTE=${pick([0, 30])}`,
      duration: allow ? 'PT16H' : pick(['PT2H', 'PT2H', 'PT4H', 'PT4H', 'PT8H', 'P1D', 'P2DT12H']),
      ...(rand() < 0.5 ? { timezone: pick(ZONES) } : {}),
      ...(allow ? {} : { severity: pick(['hard', 'hard', 'hard', 'emergency-only', 'soft']) }),
      reason: `Benchmark window ${i}`,
    };
  });
  return stringify(
    {
      version: 1,
      environments: Array.from({ length: ENVIRONMENTS }, (_, i) => ({
        key: envKey(i),
        tier: (['dev', 'test', 'staging', 'prod'] as const)[i % 4],
        timezone: ZONES[i % ZONES.length],
        concurrency: 1 + (i % 2),
        ...(i % 20 === 0 ? { tags: ['pci'] } : {}),
      })),
      products: Array.from({ length: PRODUCTS }, (_, i) => ({
        key: productKey(i),
        ...(i % 10 === 1 ? { dependsOn: [{ product: productKey(i - 1), range: '>=1.0.0' }] } : {}),
      })),
      windows,
    },
    { lineWidth: 0 },
  );
}

/** Applies the config, then bulk-inserts 10,000 planned releases (one planned window each) and 2,000 bookings. */
export async function seedCalendar(services: Services): Promise<void> {
  await services.config.apply(calendarConfig(), 'calendar-bench.yaml', { dryRun: false }, 'bench');
  const db = services.database.db;
  const rand = random(11);
  const products = await db.selectFrom('products').select(['id', 'key']).orderBy('key').execute();
  const envs = await db.selectFrom('environments').select(['id', 'key']).orderBy('key').execute();
  const now = new Date(NOW).toISOString();
  const releases = Array.from({ length: PLANNED }, (_, i) => {
    const product = products[i % products.length] as { id: string };
    return {
      id: newId(new Date(NOW - 1000 * (PLANNED - i))),
      product_id: product.id,
      version: `1.${Math.floor(i / products.length)}.0`,
      title: `release ${i}`,
      status: 'planned',
      target_date: null,
      author: 'bench',
      train_id: null,
      notes: '',
      created_at: now,
      updated_at: now,
      released_at: null,
    };
  });
  const slot = (hours: number) => {
    const start = NOW + Math.floor((rand() * YEAR) / 1_800_000) * 1_800_000;
    return { starts_at: new Date(start).toISOString(), ends_at: new Date(start + hours * 3_600_000).toISOString() };
  };
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < releases.length; i += 500)
      await trx
        .insertInto('releases')
        .values(releases.slice(i, i + 500))
        .execute();
    const plans = releases.map((r) => ({
      id: newId(),
      release_id: r.id,
      environment_id: (envs[Math.floor(rand() * envs.length)] as { id: string }).id,
      ...slot(1 + Math.floor(rand() * 4)),
      created_by: 'bench',
      sequence: 0,
      created_at: now,
      updated_at: now,
    }));
    for (let i = 0; i < plans.length; i += 500)
      await trx
        .insertInto('release_plans')
        .values(plans.slice(i, i + 500))
        .execute();
    const bookings = Array.from({ length: BOOKINGS }, () => ({
      id: newId(),
      release_id: (releases[Math.floor(rand() * releases.length)] as { id: string }).id,
      environment_id: (envs[Math.floor(rand() * envs.length)] as { id: string }).id,
      ...slot(1 + Math.floor(rand() * 3)),
      note: '',
      forced: 0,
      force_reason: null,
      status: 'active',
      created_by: 'bench',
      cancelled_by: null,
      cancelled_at: null,
      sequence: 0,
      created_at: now,
      updated_at: now,
    }));
    for (let i = 0; i < bookings.length; i += 500)
      await trx
        .insertInto('calendar_bookings')
        .values(bookings.slice(i, i + 500))
        .execute();
  });
}

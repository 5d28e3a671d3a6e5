import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { startServices } from '../../src/platform/container.js';
import type { NewRelease } from '../../src/platform/db/schema.js';
import { newId } from '../../src/platform/ids.js';
import { ROOT } from './cli.js';
import { log } from './report.js';
import { generateConfig, productKey, RARE_TRAIN, random, trainMembers } from './workload.js';

export const CACHE_DIR = join(ROOT, '.bench');

/** Products in every seeded release database: 100,000 releases are then 1,000 per product. */
export const SEED_PRODUCTS = 100;
/** The newest releases are made through ReleaseService.create (the real code path, with audit events). */
const CREATED_THROUGH_SERVICE = 20;
const BATCH = 500;
/** Releases on the rarely used train. */
export const RARE_TRAIN_RELEASES = 5;
const FIRST = Date.parse('2022-01-01T00:00:00Z');
const LAST = Date.parse('2026-11-20T00:00:00Z');

/**
 * A cached database is valid for this seeder and this schema only: its name carries a hash of both, so a new
 * migration or a change here seeds afresh instead of reusing a database of the wrong shape.
 */
function fingerprint(): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(new URL(import.meta.url)));
  hash.update(readFileSync(new URL('./workload.ts', import.meta.url)));
  const migrations = join(ROOT, 'src', 'platform', 'db', 'migrations');
  for (const file of readdirSync(migrations).sort()) hash.update(readFileSync(join(migrations, file)));
  return hash.digest('hex').slice(0, 10);
}

export function tempDir(): string {
  const dir = join(CACHE_DIR, 'tmp');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

/**
 * A SQLite database holding the seed portfolio (SEED_PRODUCTS products, six environments, two tracks, two trains)
 * and `count` releases, cached under .bench/ keyed by size. The config is applied with ConfigService; the
 * releases are bulk-inserted with Kysely, except the newest few, which go through ReleaseService.create.
 */
export async function seededDatabase(count: number): Promise<string> {
  const path = join(CACHE_DIR, `releases-${count}-${fingerprint()}.db`);
  if (existsSync(path)) return path;
  mkdirSync(CACHE_DIR, { recursive: true });
  // Databases seeded for an older schema or seeder are never used again.
  for (const stale of readdirSync(CACHE_DIR).filter((f) => f.startsWith(`releases-${count}-`) && f.endsWith('.db'))) {
    removeDatabase(join(CACHE_DIR, stale));
  }
  const building = `${path}.${process.pid}.tmp`;
  removeDatabase(building);
  const started = performance.now();
  log(`seeding ${count} releases into ${path} (cached for later runs)…`);
  const services = await startServices(building);
  try {
    await services.config.apply(generateConfig(SEED_PRODUCTS), 'bench-seed.yaml', { dryRun: false }, 'bench');
    await bulkInsertReleases(services, count - CREATED_THROUGH_SERVICE);
    for (let i = 0; i < CREATED_THROUGH_SERVICE; i++) {
      await services.releases.create(
        { product: productKey(i % SEED_PRODUCTS), version: `99.0.${i}`, title: `Next ${i}`, targetDate: '2026-12-15' },
        'bench',
      );
    }
    // Leave one self-contained file behind: move everything in the WAL into the database.
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(services.database.db);
  } finally {
    await services.close();
  }
  removeDatabase(path);
  renameSync(building, path);
  removeDatabase(building);
  log(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return path;
}

type Services = Awaited<ReturnType<typeof startServices>>;

async function bulkInsertReleases(services: Services, count: number): Promise<void> {
  const db = services.database.db;
  const products = await db.selectFrom('products').select(['id', 'key']).orderBy('key').execute();
  const train = await db.selectFrom('trains').select('id').where('key', '=', 'monthly').executeTakeFirstOrThrow();
  const rare = await db.selectFrom('trains').select('id').where('key', '=', RARE_TRAIN).executeTakeFirstOrThrow();
  const onTrain = new Set(trainMembers(products.length).map(productKey));
  let rareLeft = RARE_TRAIN_RELEASES;
  const versions = new Map<string, number>();
  const rand = random(42);
  const step = (LAST - FIRST) / count;

  // The rare train gets the oldest few releases of its product, so the newest-first scan reaches them last.
  const trainOf = (key: string): string | null => {
    if (key === productKey(1) && rareLeft > 0) {
      rareLeft--;
      return rare.id;
    }
    return onTrain.has(key) && rand() < 0.5 ? train.id : null;
  };

  const release = (i: number): NewRelease => {
    const product = products[Math.floor(rand() * products.length)] ?? products[0];
    if (!product) throw new Error('the seed config declares no products');
    const n = versions.get(product.id) ?? 0;
    versions.set(product.id, n + 1);
    const created = new Date(FIRST + i * step + rand() * step * 0.9);
    const age = (count - i) / count;
    // Old releases have shipped or were cancelled; the newest 1% are still moving through the lifecycle.
    const status =
      age > 0.01
        ? rand() < 0.92
          ? 'released'
          : 'cancelled'
        : ((['planned', 'in_progress', 'ready'] as const)[Math.floor(rand() * 3)] ?? 'planned');
    const updated = new Date(created.getTime() + 3 * 86_400_000);
    const version = `${Math.floor(n / 100)}.${Math.floor(n / 10) % 10}.${n % 10}`;
    return {
      id: newId(created),
      product_id: product.id,
      version,
      title: `${product.key} ${version}`,
      status,
      target_date: new Date(created.getTime() + 14 * 86_400_000).toISOString().slice(0, 10),
      author: `dev-${Math.floor(rand() * 300)}`,
      train_id: trainOf(product.key),
      notes: rand() < 0.3 ? `Fixes and improvements for ${product.key}; see the changelog for details.` : '',
      created_at: created.toISOString(),
      updated_at: updated.toISOString(),
      released_at: status === 'released' ? updated.toISOString() : null,
    };
  };

  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < count; i += BATCH) {
      const rows = Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => release(i + j));
      await trx.insertInto('releases').values(rows).execute();
    }
  });
}

import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb, type TestDb } from '../../../test/support/databases.js';
import { AppError } from '../../platform/errors.js';
import { STARTER_CONFIG } from './starter.js';

describe.each(DIALECTS)('config apply (%s)', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb(dialect);
  });
  afterEach(async () => t.close());

  it('creates everything the file declares, in one go', async () => {
    const result = await t.services.config.apply(STARTER_CONFIG, 'railyard.yaml', { dryRun: false }, 'alice');
    expect(result).toMatchObject({ created: 7, updated: 0, deleted: 0, unchanged: 0, dryRun: false });
    const [products, envs, tracks, trains] = await Promise.all([
      t.services.catalog.products(),
      t.services.catalog.environments(),
      t.services.catalog.tracks(),
      t.services.catalog.trains(),
    ]);
    expect(products.map((p) => p.key)).toEqual(['api', 'web']);
    expect(products[1]?.dependsOn).toEqual([{ product: 'api', range: '>=1.2.0 <2' }]);
    expect(envs.map((e) => [e.key, e.tier, e.protected])).toEqual([
      ['dev', 'dev', false],
      ['staging', 'staging', false],
      ['prod', 'prod', true],
    ]);
    expect(tracks[0]?.environments).toEqual(['dev', 'staging', 'prod']);
    expect(trains[0]?.products).toEqual(['api', 'web']);
  });

  it('is idempotent: a second apply of the same file changes nothing and writes no audit event', async () => {
    await t.services.config.apply(STARTER_CONFIG, 'railyard.yaml', { dryRun: false }, 'alice');
    const eventsBefore = (await t.services.audit.verify()).events;
    const again = await t.services.config.apply(STARTER_CONFIG, 'railyard.yaml', { dryRun: false }, 'alice');
    expect(again).toMatchObject({ created: 0, updated: 0, deleted: 0, unchanged: 7 });
    expect((await t.services.audit.verify()).events).toBe(eventsBefore);
  });

  it('a dry run shows the plan and stores nothing', async () => {
    const plan = await t.services.config.apply(STARTER_CONFIG, 'railyard.yaml', { dryRun: true }, 'alice');
    expect(plan).toMatchObject({ created: 7, dryRun: true });
    expect(await t.services.catalog.products()).toEqual([]);
  });

  it('updates changed fields and archives what the file no longer declares, keeping its releases', async () => {
    await t.services.config.apply(STARTER_CONFIG, 'railyard.yaml', { dryRun: false }, 'alice');
    await t.services.releases.create({ product: 'web', version: '1.0.0' }, 'alice');
    const edited = STARTER_CONFIG.replace('tagFormat: v{version}', 'tagFormat: api-v{version}')
      .replace(/ {2}- key: web[\s\S]*?(?=\n# Trains)/, '')
      .replace('products: [api, web]', 'products: [api]');
    const result = await t.services.config.apply(edited, 'railyard.yaml', { dryRun: false }, 'bob');
    expect(result).toMatchObject({ created: 0, updated: 2, deleted: 1 });
    expect(result.items.find((i) => i.key === 'api')?.changes).toEqual([{ field: 'tagFormat', from: 'v{version}', to: 'api-v{version}' }]);
    expect((await t.services.catalog.products()).map((p) => p.key)).toEqual(['api']);
    // The archived product's release is still there, and so is its history.
    expect((await t.services.releases.show('web@1.0.0')).version).toBe('1.0.0');
    const archived = await t.services.audit.list({ actor: 'bob', limit: 10 });
    expect(archived.map((e) => e.action)).toContain('product.archived');

    // Declaring it again restores it.
    const restored = await t.services.config.apply(STARTER_CONFIG, 'railyard.yaml', { dryRun: false }, 'bob');
    expect(restored.items.find((i) => i.key === 'web')).toMatchObject({ action: 'create', restore: true });
    expect((await t.services.catalog.products()).map((p) => p.key)).toEqual(['api', 'web']);
  });

  it('rejects an invalid file without storing any part of it', async () => {
    const bad = `${STARTER_CONFIG}\n  - key: broken\n    track: nowhere\n`.replace(
      'trains:\n  - key: monthly\n    name: Monthly release train\n    products: [api, web]\n',
      '',
    );
    await expect(t.services.config.apply(bad, 'railyard.yaml', { dryRun: false }, 'alice')).rejects.toBeInstanceOf(AppError);
    expect(await t.services.catalog.products()).toEqual([]);
    expect((await t.services.audit.verify()).events).toBe(0);
  });

  it('rolls the whole apply back when a write fails half-way', async () => {
    await t.services.config.apply(STARTER_CONFIG, 'railyard.yaml', { dryRun: false }, 'alice');
    // Sabotage: a trigger-free way to make the train write fail is to drop its join table.
    await sql`drop table train_products`.execute(t.services.database.db);
    const edited = STARTER_CONFIG.replace('name: Monthly release train', 'name: Monthly train').replace('name: Public API', 'name: API');
    await expect(t.services.config.apply(edited, 'railyard.yaml', { dryRun: false }, 'alice')).rejects.toThrow();
    expect((await t.services.catalog.product('api')).name).toBe('Public API');
  });
});

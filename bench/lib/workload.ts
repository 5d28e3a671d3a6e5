import { stringify } from 'yaml';

/** A small deterministic PRNG, so every seeded database and config file is the same each run. */
export { seededRandom as random } from '../../test/support/random.js';

export const ENVIRONMENTS = [
  { key: 'dev', name: 'Development', tier: 'dev' },
  { key: 'test', name: 'Integration test', tier: 'test' },
  { key: 'qa', name: 'Quality assurance', tier: 'test', timezone: 'Europe/Berlin' },
  { key: 'staging', name: 'Staging', tier: 'staging', timezone: 'Europe/Berlin' },
  { key: 'preprod', name: 'Pre-production', tier: 'staging', timezone: 'Europe/Berlin', protected: true },
  { key: 'prod', name: 'Production', tier: 'prod', timezone: 'Europe/Berlin', concurrency: 1 },
] as const;

export function productKey(i: number): string {
  return `svc-${String(i).padStart(4, '0')}`;
}

/** Earlier products that product `i` depends on: edges only point backwards, so the graph has no cycle. */
function dependenciesOf(i: number): number[] {
  if (i % 10 === 0) return [];
  return [i - 1, i - 7, i - 31].filter((j) => j >= 0);
}

/** A train only a few old releases ride: a filter on it must not scan every release. */
export const RARE_TRAIN = 'hotfix';

/** Every third product, at most 20 of them, rides the train. */
export function trainMembers(products: number): number[] {
  return Array.from({ length: Math.min(20, Math.ceil(products / 3)) }, (_, i) => i * 3);
}

/**
 * railyard.yaml for a portfolio of `products` products over six environments, two tracks (every product on
 * one), up to three dependencies per product (on products declared before it, so no cycles) and two trains.
 */
export function generateConfig(products: number): string {
  const team = (i: number) => `team-${String(i % 40).padStart(2, '0')}`;
  return stringify(
    {
      version: 1,
      environments: ENVIRONMENTS,
      tracks: [
        { key: 'standard', name: 'Standard path to production', environments: ENVIRONMENTS.map((e) => e.key) },
        { key: 'fast', name: 'Fast lane', environments: ['dev', 'staging', 'prod'] },
      ],
      products: Array.from({ length: products }, (_, i) => {
        const monorepo = i % 5 === 0;
        const deps = dependenciesOf(i);
        return {
          key: productKey(i),
          name: `Service ${i}`,
          description: `Benchmark product number ${i}.`,
          repo: monorepo ? 'https://git.example.com/bench/monorepo.git' : `https://git.example.com/bench/${productKey(i)}.git`,
          ...(monorepo ? { path: `services/${productKey(i)}`, tagFormat: '{name}@{version}' } : {}),
          owners: [team(i)],
          notify: [`${team(i)}@example.com`],
          track: i % 4 === 0 ? 'fast' : 'standard',
          ...(deps.length
            ? { dependsOn: deps.map((j) => ({ product: productKey(j), range: `>=${1 + (j % 3)}.0.0 <${2 + (j % 3)}` })) }
            : {}),
        };
      }),
      trains: [
        { key: 'monthly', name: 'Monthly train', products: trainMembers(products).map(productKey) },
        { key: RARE_TRAIN, name: 'Hotfix train (rarely used)', products: [productKey(1)] },
      ],
    },
    { lineWidth: 0 },
  );
}

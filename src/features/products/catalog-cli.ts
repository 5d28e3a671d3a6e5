import type { Program } from '../../cli/context.js';
import { withClient } from '../../cli/context.js';
import { emit, fields, table } from '../../cli/output.js';

export function registerCatalogCommands(program: Program): void {
  const products = program.command('products').description('products: what is versioned and released');
  products
    .command('list')
    .description('list products')
    .action(async (_o, cmd) =>
      withClient(cmd, async (client, g) => {
        const items = await client.products();
        await emit(g.json, items, () =>
          table(
            ['KEY', 'NAME', 'TRACK', 'TAG FORMAT', 'OWNERS', 'DEPENDS ON'],
            items.map((p) => [
              p.key,
              p.name,
              p.track,
              p.tagFormat,
              p.owners.join(', '),
              p.dependsOn.map((d) => `${d.product} ${d.range}`).join(', '),
            ]),
          ),
        );
        return 0;
      }),
    );
  products
    .command('show')
    .description('show one product')
    .argument('<key>', 'product key')
    .action(async (key, _o, cmd) =>
      withClient(cmd, async (client, g) => {
        const p = await client.product(key);
        await emit(g.json, p, () =>
          fields([
            ['key', p.key],
            ['name', p.name],
            ['description', p.description],
            ['repo', p.repo],
            ['path', p.path],
            ['tag format', p.tagFormat],
            ['track', p.track],
            ['owners', p.owners.join(', ')],
            ['notify', p.notify.join(', ')],
            ['depends on', p.dependsOn.map((d) => `${d.product} ${d.range}`).join(', ')],
          ]),
        );
        return 0;
      }),
    );

  const envs = program.command('envs').description('environments releases are promoted into');
  envs
    .command('list')
    .description('list environments in promotion order')
    .action(async (_o, cmd) =>
      withClient(cmd, async (client, g) => {
        const items = await client.environments();
        await emit(g.json, items, () =>
          table(
            ['KEY', 'NAME', 'TIER', 'TIMEZONE', 'PROTECTED', 'CONCURRENCY'],
            items.map((e) => [e.key, e.name, e.tier, e.timezone, e.protected ? 'yes' : 'no', e.concurrency]),
          ),
        );
        return 0;
      }),
    );

  program
    .command('tracks')
    .description('list tracks (the environments a product is promoted through, in order)')
    .action(async (_o, cmd) =>
      withClient(cmd, async (client, g) => {
        const items = await client.tracks();
        await emit(g.json, items, () =>
          table(
            ['KEY', 'NAME', 'ENVIRONMENTS'],
            items.map((t) => [t.key, t.name, t.environments.join(' → ')]),
          ),
        );
        return 0;
      }),
    );

  program
    .command('trains')
    .description('list release trains')
    .action(async (_o, cmd) =>
      withClient(cmd, async (client, g) => {
        const items = await client.trains();
        await emit(g.json, items, () =>
          table(
            ['KEY', 'NAME', 'PRODUCTS'],
            items.map((t) => [t.key, t.name, t.products.join(', ')]),
          ),
        );
        return 0;
      }),
    );
}

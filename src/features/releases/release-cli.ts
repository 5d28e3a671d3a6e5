import { Option } from '@commander-js/extra-typings';
import type { Program } from '../../cli/context.js';
import { parseLimit, withClient } from '../../cli/context.js';
import { emit, fields, table } from '../../cli/output.js';
import { RELEASE_STATUSES } from './release.js';

export function registerReleaseCommands(program: Program): void {
  const releases = program.command('releases').description('releases: versions of products and their lifecycle');

  releases
    .command('create')
    .description('plan a new release (status planned)')
    .argument('<product>', 'product key')
    .argument('<version>', 'semantic version, e.g. 1.4.0')
    .option('--title <title>', 'title (default PRODUCT@VERSION)')
    .option('--target-date <date>', 'target date, YYYY-MM-DD or ISO-8601 time')
    .option('--author <user>', 'who owns the release (default: the acting user)')
    .option('--train <key>', 'release train it rides')
    .action(async (product, version, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.createRelease({
          product,
          version,
          title: o.title,
          targetDate: o.targetDate,
          author: o.author,
          train: o.train,
        });
        await emit(g.json, r, () => `created ${r.ref} (${r.status})`);
        return 0;
      }),
    );

  releases
    .command('list')
    .description('list releases, newest first')
    .option('--product <key>', 'only this product')
    .addOption(new Option('--status <status>', 'only this status').choices(RELEASE_STATUSES))
    .option('--train <key>', 'only this train')
    .option('--limit <n>', 'how many (1-1000)', parseLimit, 50)
    .option('--cursor <id>', 'continue after this release id (nextCursor of the previous page)')
    .action(async (o, cmd) =>
      withClient(cmd, async (client, g) => {
        const page = await client.listReleases({ product: o.product, status: o.status, train: o.train, limit: o.limit, cursor: o.cursor });
        await emit(g.json, page, async () => {
          const t = await table(
            ['RELEASE', 'STATUS', 'TARGET', 'TITLE', 'AUTHOR'],
            page.items.map((r) => [r.ref, r.status, r.targetDate, r.title, r.author]),
          );
          return page.nextCursor ? `${t}\nmore: --cursor ${page.nextCursor}` : t;
        });
        return 0;
      }),
    );

  releases
    .command('show')
    .description('show a release with its changes and deployments')
    .argument('<release>', 'PRODUCT@VERSION')
    .action(async (ref, _o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.showRelease(ref);
        await emit(g.json, r, async () => {
          const head = fields([
            ['release', r.ref],
            ['title', r.title],
            ['status', r.status],
            ['target date', r.targetDate],
            ['author', r.author],
            ['train', r.train],
            ['created', r.createdAt],
            ['released', r.releasedAt],
          ]);
          const changes = await table(
            ['TYPE', 'REF', 'TITLE', 'AUTHOR'],
            r.changes.map((c) => [`${c.type}${c.breaking ? '!' : ''}${c.afterFreeze ? ' (after freeze)' : ''}`, c.ref, c.title, c.author]),
          );
          const deployments = await table(
            ['ENVIRONMENT', 'STATUS', 'BY', 'FINISHED'],
            r.deployments.map((d) => [d.environment, d.status, d.actor, d.finishedAt]),
          );
          return `${head}\n\nchanges (${r.changes.length}):\n${changes}\n\ndeployments (${r.deployments.length}):\n${deployments}`;
        });
        return 0;
      }),
    );

  releases
    .command('set-status')
    .description(`move a release through its lifecycle: ${RELEASE_STATUSES.join(', ')}`)
    .argument('<release>', 'PRODUCT@VERSION')
    .argument('<status>', RELEASE_STATUSES.join('|'))
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .action(async (ref, status, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.setReleaseStatus(ref, status, o.reason);
        await emit(g.json, r, () => `${r.ref} is now ${r.status}`);
        return 0;
      }),
    );
}

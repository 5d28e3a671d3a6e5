import { Option } from '@commander-js/extra-typings';
import type { Program } from '../../cli/context.js';
import { parseLimit, withClient } from '../../cli/context.js';
import { emit, table } from '../../cli/output.js';
import { DEPLOYMENT_STATUSES } from './deployment.js';

export function registerDeploymentCommands(program: Program): void {
  const deployments = program.command('deployments').description('records of releases reaching environments');
  deployments
    .command('list')
    .description('list deployments, newest first')
    .option('--product <key>', 'only this product')
    .option('--env <key>', 'only this environment')
    .option('--limit <n>', 'how many (1-1000)', parseLimit, 50)
    .option('--cursor <id>', 'continue after this deployment id')
    .action(async (o, cmd) =>
      withClient(cmd, async (client, g) => {
        const page = await client.listDeployments({ product: o.product, environment: o.env, limit: o.limit, cursor: o.cursor });
        await emit(g.json, page, () =>
          table(
            ['RELEASE', 'ENVIRONMENT', 'STATUS', 'BY', 'FINISHED'],
            page.items.map((d) => [d.release, d.environment, d.status, d.actor, d.finishedAt]),
          ),
        );
        return 0;
      }),
    );
  deployments
    .command('record')
    .description('report a deployment done outside Railyard (e.g. by a CI job)')
    .argument('<release>', 'PRODUCT@VERSION')
    .requiredOption('--env <key>', 'environment it reached')
    .addOption(new Option('--status <status>', 'outcome').choices(DEPLOYMENT_STATUSES).default('succeeded' as const))
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const d = await client.recordDeployment({ release, environment: o.env, status: o.status });
        await emit(g.json, d, () => `recorded ${d.release} → ${d.environment}: ${d.status}`);
        return 0;
      }),
    );
}

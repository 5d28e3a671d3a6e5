import { InvalidArgumentError } from '@commander-js/extra-typings';
import type { Program } from '../../cli/context.js';
import { withClient } from '../../cli/context.js';
import { emit, table } from '../../cli/output.js';
import type { RiskItem, RiskReport } from './risk.js';

function level(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new InvalidArgumentError('expected a whole number from 1 to 5');
  return n;
}

export function registerRiskCommands(program: Program): void {
  const risk = program
    .command('risk')
    .description("a release's risk score (0–100) with explained factors, and its risk register")
    .argument('[release]', 'PRODUCT@VERSION')
    .action(async (release, _o, cmd) =>
      withClient(cmd, async (client, g) => {
        if (!release) {
          cmd.help({ error: true });
        }
        const r = await client.risk.show(release as string);
        await emit(g.json, r, () => describe(r));
        return 0;
      }),
    );
  risk
    .command('add')
    .description('add an entry to the risk register; --blocker makes the gate built-in risks fail while it is open')
    .argument('<release>', 'PRODUCT@VERSION')
    .requiredOption('--title <text>', 'what could go wrong')
    .requiredOption('--likelihood <1-5>', 'how likely', level)
    .requiredOption('--impact <1-5>', 'how bad', level)
    .option('--owner <user>', 'who owns it')
    .option('--mitigation <text>', 'what is done about it')
    .option('--blocker', 'blocks promotion while open', false)
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const k = await client.risk.add(release, {
          title: o.title,
          likelihood: o.likelihood,
          impact: o.impact,
          owner: o.owner,
          mitigation: o.mitigation,
          blocker: o.blocker,
        });
        await emit(g.json, k, () => `added risk ${k.id} to ${k.release}: ${line(k)}`);
        return 0;
      }),
    );
  risk
    .command('update')
    .description('change a register entry')
    .argument('<release>', 'PRODUCT@VERSION')
    .argument('<id>', 'risk id')
    .option('--title <text>', 'what could go wrong')
    .option('--likelihood <1-5>', 'how likely', level)
    .option('--impact <1-5>', 'how bad', level)
    .option('--owner <user>', 'who owns it')
    .option('--mitigation <text>', 'what is done about it')
    .option('--blocker', 'blocks promotion while open')
    .option('--no-blocker', 'does not block promotion')
    .option('--reopen', 'open a closed risk again')
    .action(async (release, id, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const k = await client.risk.update(release, id, {
          title: o.title,
          likelihood: o.likelihood,
          impact: o.impact,
          owner: o.owner,
          mitigation: o.mitigation,
          blocker: o.blocker,
          status: o.reopen ? 'open' : undefined,
        });
        await emit(g.json, k, () => `updated risk ${k.id}: ${line(k)}`);
        return 0;
      }),
    );
  risk
    .command('close')
    .description('close a register entry (a closed blocker no longer blocks)')
    .argument('<release>', 'PRODUCT@VERSION')
    .argument('<id>', 'risk id')
    .option('--mitigation <text>', 'how it was resolved')
    .action(async (release, id, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const k = await client.risk.update(release, id, { status: 'closed', mitigation: o.mitigation });
        await emit(g.json, k, () => `closed risk ${k.id}: ${line(k)}`);
        return 0;
      }),
    );
}

function line(k: RiskItem): string {
  return `${k.title} (likelihood ${k.likelihood} × impact ${k.impact} = ${k.severity}${k.blocker ? ', blocker' : ''}, ${k.status})`;
}

async function describe(r: RiskReport): Promise<string> {
  const factors = await table(
    ['FACTOR', 'WEIGHT', 'VALUE', 'POINTS', 'WHY'],
    r.factors.map((f) => [f.key, f.weight, f.value, f.points, f.explanation]),
  );
  const omitted = r.omitted.map((o) => `left out: ${o.key} (${o.reason})`);
  const register = await table(
    ['ID', 'TITLE', 'L×I', 'OWNER', 'MITIGATION', 'BLOCKER', 'STATUS'],
    r.register.map((k) => [
      k.id,
      k.title,
      `${k.likelihood}×${k.impact}=${k.severity}`,
      k.owner,
      k.mitigation,
      k.blocker ? 'yes' : 'no',
      k.status,
    ]),
  );
  return [`${r.release}: risk ${r.score}/100 (${r.level})`, factors, ...omitted, '', 'Risk register:', register].join('\n');
}

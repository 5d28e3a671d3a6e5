import type { Program } from '../../cli/context.js';
import { withClient } from '../../cli/context.js';
import { emit, table } from '../../cli/output.js';
import type { ApprovalStatus } from './approval.js';

const MARK = { pass: 'pass', fail: 'FAIL', unknown: 'unknown' } as const;

export function registerGateCommands(program: Program): void {
  const gate = program.command('gate').description('quality gates: the checks a release must pass to enter an environment');
  gate
    .command('check')
    .description('evaluate the gate of an environment for a release; exit 3 while any check is not pass')
    .argument('<release>', 'PRODUCT@VERSION')
    .requiredOption('--env <key>', 'the environment to enter')
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.checkGate(release, o.env);
        await emit(g.json, r, async () => {
          const rows = await table(
            ['CHECK', 'STATUS', 'EXPLANATION'],
            r.checks.map((c) => [c.name, MARK[c.status], c.explanation]),
          );
          const failing = r.checks.filter((c) => c.status !== 'pass').length;
          const verdict = r.passed
            ? `${r.release} may enter ${r.environment}: all ${r.checks.length} checks pass`
            : `${r.release} is blocked from ${r.environment}: ${failing} of ${r.checks.length} checks do not pass`;
          return `${rows}\n${verdict}`;
        });
        return r.passed ? 0 : 3;
      }),
    );

  program
    .command('approve')
    .description('approve a release for an environment as the acting user (--as); bound to its current scope')
    .argument('<release>', 'PRODUCT@VERSION')
    .requiredOption('--env <key>', 'the environment')
    .option('--role <role>', 'the role you approve in (for rules that require roles)')
    .option('--comment <text>', 'a comment')
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const s = await client.approve({ release, environment: o.env, role: o.role, comment: o.comment });
        await emit(g.json, s, () => `approved ${release} for ${o.env}\n${describeApprovals(s)}`);
        return 0;
      }),
    );

  program
    .command('approvals')
    .description('the approvals of a release for an environment, which count and why the others do not')
    .argument('<release>', 'PRODUCT@VERSION')
    .requiredOption('--env <key>', 'the environment')
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const s = await client.approvals(release, o.env);
        await emit(g.json, s, async () => {
          const rows = await table(
            ['APPROVER', 'ROLE', 'AT', 'COUNTS', 'WHY NOT'],
            s.approvals.map((a) => [a.approver, a.role, a.createdAt, a.valid ? 'yes' : 'no', a.reason]),
          );
          return `${rows}\n${describeApprovals(s)}`;
        });
        return 0;
      }),
    );
}

function describeApprovals(s: ApprovalStatus): string {
  return `${s.satisfied ? 'satisfied' : 'not satisfied'}: ${s.explanation}`;
}

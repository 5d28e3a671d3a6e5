import { Argument, Option } from '@commander-js/extra-typings';
import type { Program } from '../../cli/context.js';
import { withClient } from '../../cli/context.js';
import { emit, fields, table } from '../../cli/output.js';
import { reportMarkdown } from './report.js';
import type { Review } from './review.js';

const KIND = '--kind <kind>';
const KIND_HELP = 'review kind: go-no-go, readiness, milestone… (default go-no-go)';

export function registerReviewCommands(program: Program): void {
  const review = program.command('review').description('readiness, milestone and go/no-go reviews: checklist, votes, decision');
  review
    .command('open')
    .description('open a review; its checklist and decision rule come from the template in railyard.yaml')
    .argument('<release>', 'PRODUCT@VERSION')
    .option(KIND, KIND_HELP, 'go-no-go')
    .option('--template <key>', 'review template (reviews[].key; default: the kind)')
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.reviews.open({ release, kind: o.kind, template: o.template });
        await emit(g.json, r, async () => `opened ${r.kind} review of ${r.release}\n${await describe(r)}`);
        return 0;
      }),
    );
  review
    .command('tick')
    .description('tick a checklist item (its number, text or a unique prefix)')
    .argument('<release>', 'PRODUCT@VERSION')
    .argument('<item>', 'checklist item')
    .option(KIND, KIND_HELP, 'go-no-go')
    .option('--undo', 'untick it', false)
    .action(async (release, item, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.reviews.tick(release, o.kind, item, !o.undo);
        await emit(g.json, r, () => describe(r));
        return 0;
      }),
    );
  review
    .command('vote')
    .description('vote as the acting user (--as); voting again replaces your vote')
    .argument('<release>', 'PRODUCT@VERSION')
    .addArgument(new Argument('<vote>', 'go, no-go or abstain').choices(['go', 'no-go', 'abstain'] as const))
    .option(KIND, KIND_HELP, 'go-no-go')
    .option('--role <role>', 'the role you vote in (templates with roles count only those)')
    .option('--comment <text>', 'why')
    .action(async (release, vote, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.reviews.vote({ release, kind: o.kind, vote, role: o.role, comment: o.comment });
        await emit(g.json, r, () => describe(r));
        return 0;
      }),
    );
  review
    .command('decide')
    .description('record what the decision rule says, with minutes; exit 3 on no-go')
    .argument('<release>', 'PRODUCT@VERSION')
    .option(KIND, KIND_HELP, 'go-no-go')
    .option('--minutes <text>', 'notes of the meeting, kept with the decision')
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.reviews.decide(release, o.kind, o.minutes ?? '');
        await emit(g.json, r, () => `${r.kind} review of ${r.release} decided ${r.decision}\n\n${r.minutes}`);
        return r.decision === 'go' ? 0 : 3;
      }),
    );
  review
    .command('show')
    .description('the newest review of a kind: checklist, votes, what the rule says, the decision and minutes')
    .argument('<release>', 'PRODUCT@VERSION')
    .option(KIND, KIND_HELP, 'go-no-go')
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.reviews.show(release, o.kind);
        await emit(g.json, r, () => describe(r));
        return 0;
      }),
    );

  program
    .command('report')
    .description('the readiness report for the meeting: scope, notes, gates, risk, approvals and votes')
    .argument('<release>', 'PRODUCT@VERSION')
    .addOption(
      new Option('--format <format>', 'md or json (--json is the same as --format json)').choices(['md', 'json'] as const).default('md'),
    )
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.reviews.report(release);
        process.stdout.write(g.json || o.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : reportMarkdown(r));
        return 0;
      }),
    );
}

async function describe(r: Review): Promise<string> {
  const head = fields([
    ['review', `${r.kind} of ${r.release}`],
    [
      'rule',
      `${r.rule.rule}, quorum ${r.rule.quorum}${r.rule.roles.length ? `, roles ${r.rule.roles.join(', ')}` : ''} (template ${r.rule.template})`,
    ],
    ['opened', `${r.openedAt} by ${r.openedBy}`],
    ['status', r.decision ? `decided ${r.decision} at ${r.decidedAt}` : 'open'],
    ['outcome', r.outcome.explanation],
  ]);
  const checklist = r.checklist.length
    ? r.checklist.map((c, i) => `${i + 1}. [${c.ticked ? 'x' : ' '}] ${c.item}${c.by ? ` (${c.by})` : ''}`).join('\n')
    : '(no checklist)';
  const votes = await table(
    ['VOTER', 'ROLE', 'VOTE', 'COUNTS', 'COMMENT', 'AT'],
    r.votes.map((v) => [v.voter, v.role, v.vote, v.counted ? 'yes' : 'advisory', v.comment, v.at]),
  );
  return [head, '', checklist, '', votes, ...(r.minutes ? ['', r.minutes] : [])].join('\n');
}

import type { Program } from '../../cli/context.js';
import { parseLimit, withClient } from '../../cli/context.js';
import { emit, table } from '../../cli/output.js';

export function registerAuditCommands(program: Program): void {
  const audit = program.command('audit').description('the append-only, hash-chained audit trail');
  audit
    .command('list')
    .description('list audit events, newest first')
    .option('--subject-type <type>', 'e.g. release, product, environment')
    .option('--subject-id <id>', 'id of the subject')
    .option('--actor <user>', 'only events by this actor')
    .option('--limit <n>', 'how many (1-1000)', parseLimit, 50)
    .option('--cursor <seq>', 'continue before this event number', (v) => Number.parseInt(v, 10))
    .action(async (o, cmd) =>
      withClient(cmd, async (client, g) => {
        const page = await client.listAudit({
          subjectType: o.subjectType,
          subjectId: o.subjectId,
          actor: o.actor,
          limit: o.limit,
          cursor: o.cursor,
        });
        await emit(g.json, page, () =>
          table(
            ['#', 'AT', 'ACTOR', 'ACTION', 'SUBJECT'],
            page.items.map((e) => [e.seq, e.at, e.actor, e.action, `${e.subjectType}:${e.subjectId}`]),
          ),
        );
        return 0;
      }),
    );
  audit
    .command('verify')
    .description('re-hash the whole chain; exit 3 and name the first broken event if anything was changed')
    .action(async (_o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.verifyAudit();
        await emit(g.json, r, () =>
          r.ok
            ? `audit chain intact: ${r.events} events, head ${r.headHash.slice(0, 16)}…`
            : `audit chain BROKEN at event #${r.firstBroken?.seq}${r.firstBroken?.id ? ` (${r.firstBroken.id})` : ''}: ${r.firstBroken?.reason}\n${r.events} events before it verified`,
        );
        return r.ok ? 0 : 3;
      }),
    );
}

import type { Program } from '../../cli/context.js';
import { withClient } from '../../cli/context.js';
import { emit, fields, table } from '../../cli/output.js';
import type { Override } from './schedule.js';
import type { Window } from './window.js';

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const when = (w: Window) => (w.rrule ? `${w.rrule} for ${w.duration}` : `${w.start} – ${w.end ?? `+${w.duration}`}`);

export function registerWindowCommands(program: Program): void {
  const windows = program.command('windows').description('calendar windows: freezes (deny) and maintenance windows (allow)');

  windows
    .command('list')
    .description('windows in force (from railyard.yaml and made with the CLI or API)')
    .action(async (_o, cmd) =>
      withClient(cmd, async (client, g) => {
        const items = await client.calendar.windows();
        await emit(g.json, items, () =>
          table(
            ['KEY', 'KIND', 'SEVERITY', 'WHEN', 'ZONE', 'ENVIRONMENTS', 'PRODUCTS', 'FROM'],
            items.map((w) => [
              w.key,
              w.kind,
              w.kind === 'freeze' ? w.severity : '',
              when(w),
              w.timezone ?? '(environment)',
              w.environments.join(', ') || 'all',
              w.products.join(', ') || 'all',
              w.source === 'config' ? 'railyard.yaml' : 'cli/api',
            ]),
          ),
        );
        return 0;
      }),
    );

  windows
    .command('show')
    .description('a window and its next occurrences')
    .argument('<key>', 'window key')
    .action(async (key, _o, cmd) =>
      withClient(cmd, async (client, g) => {
        const w = await client.calendar.window(key);
        await emit(g.json, w, () =>
          [
            fields([
              ['window', w.key],
              ['kind', w.kind === 'freeze' ? `freeze (${w.severity})` : 'allow (maintenance window)'],
              ['when', when(w)],
              ['time zone', w.timezone ?? 'each environment’s'],
              ['environments', w.environments.join(', ') || 'all'],
              ['products', w.products.join(', ') || 'all'],
              ['tags', w.tags.join(', ')],
              ['exceptions', w.exdates.join(', ')],
              ['reason', w.reason],
              ['declared in', w.source === 'config' ? 'railyard.yaml' : 'the CLI/API'],
            ]),
            'next:',
            ...w.next.map((n) => `  ${n.start} – ${n.end}`),
          ].join('\n'),
        );
        return 0;
      }),
    );

  windows
    .command('create')
    .description('create a window (windows in railyard.yaml are made by apply)')
    .argument('<key>', 'unique key')
    .requiredOption('--kind <kind>', 'freeze or allow')
    .option('--severity <severity>', 'freezes: hard (default), emergency-only, soft')
    .option('--env <keys>', 'environments, comma-separated (default all)', list)
    .option('--product <keys>', 'products, comma-separated (default all)', list)
    .option('--tags <tags>', 'tags, comma-separated', list)
    .option('--timezone <zone>', 'IANA zone (default: each environment’s)')
    .option('--start <time>', 'one-off start, or the rule’s first occurrence (local time or ISO-8601)')
    .option('--end <time>', 'one-off end')
    .option('--rrule <rule>', 'RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=FR;BYHOUR=18')
    .option('--duration <duration>', 'RFC 5545 duration of each occurrence, e.g. P2DT12H')
    .option('--exdate <times>', 'occurrences left out, comma-separated', list)
    .option('--reason <text>', 'why (shown with every refusal)')
    .action(async (key, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const w = await client.calendar.createWindow({
          key,
          kind: o.kind,
          severity: o.severity,
          environments: o.env,
          products: o.product,
          tags: o.tags,
          timezone: o.timezone,
          start: o.start,
          end: o.end,
          rrule: o.rrule,
          duration: o.duration,
          exdates: o.exdate,
          reason: o.reason,
        });
        await emit(g.json, w, () => `created ${w.kind} window ${w.key}`);
        return 0;
      }),
    );

  windows
    .command('remove')
    .description('remove (archive) a window made with the CLI or API')
    .argument('<key>', 'window key')
    .action(async (key, _o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.calendar.removeWindow(key);
        await emit(g.json, r, () => `removed window ${r.key}`);
        return 0;
      }),
    );

  const freeze = program.command('freeze').description('overrides of freezes: time-limited, with a reason, audited');

  freeze
    .command('override')
    .description('let promotions through a window for a while (protected environments: someone else approves)')
    .argument('<window>', 'window key')
    .requiredOption('--env <key>', 'environment')
    .option('--product <key>', 'only this product (default all)')
    .requiredOption('--reason <text>', 'why (required)')
    .option('--from <time>', 'ISO-8601 (default now)')
    .requiredOption('--until <time>', 'ISO-8601; at most 7 days after the start')
    .action(async (window, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.calendar.requestOverride({
          window,
          environment: o.env,
          product: o.product,
          reason: o.reason,
          from: o.from,
          until: o.until,
        });
        await emit(g.json, r, () =>
          r.status === 'pending'
            ? `override ${r.id} requested; ${r.environment} is protected: someone other than ${r.requestedBy} must run railyard freeze approve ${r.id}`
            : `override ${r.id} active: ${r.window} does not block ${r.product ?? 'any product'} in ${r.environment} until ${r.end}`,
        );
        return 0;
      }),
    );

  freeze
    .command('approve')
    .description('approve a pending override (not your own)')
    .argument('<id>', 'override id')
    .action(async (id, _o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.calendar.approveOverride(id);
        await emit(g.json, r, () => `override ${r.id} approved by ${r.approvedBy}: active until ${r.end}`);
        return 0;
      }),
    );

  freeze
    .command('revoke')
    .description('revoke an override')
    .argument('<id>', 'override id')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .action(async (id, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.calendar.revokeOverride(id, o.reason);
        await emit(g.json, r, () => `override ${r.id} revoked`);
        return 0;
      }),
    );

  freeze
    .command('overrides')
    .description('overrides not yet ended (--all: every one)')
    .option('--env <key>', 'only this environment')
    .option('--all', 'include ended and revoked overrides')
    .action(async (o, cmd) =>
      withClient(cmd, async (client, g) => {
        const items = await client.calendar.overrides({ environment: o.env, all: o.all });
        await emit(g.json, items, () =>
          table(
            ['ID', 'WINDOW', 'ENVIRONMENT', 'PRODUCT', 'FROM', 'UNTIL', 'STATUS', 'BY', 'REASON'],
            items.map((r: Override) => [
              r.id,
              r.window,
              r.environment,
              r.product ?? 'all',
              r.start,
              r.end,
              r.status,
              r.requestedBy,
              r.reason,
            ]),
          ),
        );
        return 0;
      }),
    );
}

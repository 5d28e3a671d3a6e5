import { InvalidArgumentError } from '@commander-js/extra-typings';
import type { Program } from '../../cli/context.js';
import { withClient } from '../../cli/context.js';
import { emit, table } from '../../cli/output.js';
import { AppError } from '../../platform/errors.js';
import type { CalendarQuery } from './calendar-api.js';
import type { Conflict } from './conflicts.js';

interface CalendarOptions {
  from?: string;
  to?: string;
  env?: string;
  product?: string;
  kinds?: string;
}

/** The options of `railyard calendar`, which its subcommands share (commander gives them to the parent). */
function calendarQuery(cmd: { optsWithGlobals(): unknown }): CalendarQuery {
  const o = cmd.optsWithGlobals() as CalendarOptions;
  return { from: o.from, to: o.to, environment: o.env, product: o.product, kinds: o.kinds?.split(',').filter(Boolean) };
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('expected a whole number from 1 to 100');
  return n;
}

const short = (iso: string | null) => (iso ? iso.replace(':00.000Z', 'Z').replace('T', ' ') : '-');

export function registerCalendarCommands(program: Program): void {
  program
    .command('can-promote')
    .description('may PRODUCT be promoted into --env now (or --at)? exit 0 allowed, 3 blocked (with reasons and nextOpen)')
    .argument('<product>', 'product key')
    .requiredOption('--env <key>', 'environment')
    .option('--at <time>', 'ISO-8601 instant (default now)')
    .option('--emergency', 'an emergency promotion (passes emergency-only freezes)')
    .action(async (product, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.calendar.check({ product, environment: o.env, at: o.at, emergency: o.emergency });
        await emit(g.json, r, () => {
          const head = `${r.allowed ? 'allowed' : 'blocked'}: ${product} → ${o.env}${o.at ? ` at ${o.at}` : ''}`;
          const reasons = r.reasons.map((x) => `  ${x.window}: ${x.message}`);
          const next = r.allowed ? [] : [`next open: ${r.nextOpen ?? 'not within 400 days'}`];
          return [head, ...reasons, ...next].join('\n');
        });
        return r.allowed ? 0 : 3;
      }),
    );

  const calendar = program
    .command('calendar')
    .description('the release calendar: an agenda of planned releases, bookings, freezes, maintenance windows and overrides')
    .option('--from <date>', 'YYYY-MM-DD or ISO-8601 (default today)')
    .option('--to <date>', 'YYYY-MM-DD (inclusive) or ISO-8601 (default 30 days on; --ics: a year)')
    .option('--env <key>', 'only this environment')
    .option('--product <key>', 'only this product')
    .option('--kinds <list>', 'only these: release,booking,freeze,allow,override')
    .option('--ics', 'print an iCalendar (RFC 5545) file instead')
    .action(async (o, cmd) =>
      withClient(cmd, async (client, g) => {
        const q = calendarQuery(cmd);
        if (o.ics) {
          process.stdout.write(await client.calendar.ics(q));
          return 0;
        }
        const agenda = await client.calendar.agenda(q);
        await emit(g.json, agenda, async () => {
          const t = await table(
            ['START', 'END', 'KIND', 'WHAT', 'STATUS'],
            agenda.items.map((i) => [short(i.start), short(i.end), i.kind, i.title, i.status]),
          );
          return `${short(agenda.from)} – ${short(agenda.to)}\n${t}`;
        });
        return 0;
      }),
    );

  calendar
    .command('conflicts')
    .description('schedule conflicts across the portfolio, each with both parties and a suggested slot; exit 3 when there are any')
    .action(async (_o, cmd) =>
      withClient(cmd, async (client, g) => {
        const items = await client.calendar.conflicts({ ...calendarQuery(cmd), kinds: undefined });
        await emit(g.json, items, () => describeConflicts(items));
        return items.length ? 3 : 0;
      }),
    );

  calendar
    .command('propose')
    .description('the next release dates of a product’s or train’s cadence, skipping freezes and full environments')
    .option('--train <key>', 'a train instead of --product')
    .option('--count <n>', 'how many dates (1-100)', count, 5)
    .action(async (o, cmd) =>
      withClient(cmd, async (client, g) => {
        const q = calendarQuery(cmd);
        const r = await client.calendar.propose({
          product: q.product,
          train: o.train,
          environment: q.environment,
          count: o.count,
          from: q.from,
        });
        await emit(g.json, r, async () => {
          const rows = [
            ...r.items.map((i) => [short(i.start), short(i.end), 'proposed']),
            ...r.skipped.map((s) => [short(s.start), short(s.end), `skipped: ${s.reason}`]),
          ];
          rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
          return `${r.subject} ${r.key} into ${r.environment} (${r.cadence})\n${await table(['START', 'END', ''], rows)}`;
        });
        return 0;
      }),
    );

  calendar
    .command('plan')
    .description('plan when a release enters an environment (replaces its earlier plan there)')
    .argument('<release>', 'PRODUCT@VERSION')
    .requiredOption('--start <time>', 'ISO-8601 instant')
    .requiredOption('--end <time>', 'ISO-8601 instant')
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const environment = requireEnv(cmd);
        const r = await client.calendar.plan({ release, environment, start: o.start, end: o.end });
        await emit(g.json, r, () =>
          [
            `planned ${r.plan.release} into ${r.plan.environment}: ${short(r.plan.start)} – ${short(r.plan.end)}`,
            ...conflictLines(r.conflicts),
          ].join('\n'),
        );
        return 0;
      }),
    );

  calendar
    .command('unplan')
    .description('remove the planned window of a release in an environment')
    .argument('<release>', 'PRODUCT@VERSION')
    .action(async (release, _o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.calendar.unplan({ release, environment: requireEnv(cmd) });
        await emit(g.json, r, () => `removed the planned window of ${r.release} in ${r.environment}`);
        return 0;
      }),
    );

  calendar
    .command('book')
    .description('reserve an environment for a release; refused when it conflicts, unless --force --reason')
    .argument('<release>', 'PRODUCT@VERSION')
    .requiredOption('--start <time>', 'ISO-8601 instant')
    .requiredOption('--end <time>', 'ISO-8601 instant')
    .option('--note <text>', 'what the booking is for')
    .option('--force', 'book despite conflicts (needs --reason)')
    .option('--reason <text>', 'why a conflicting booking is forced')
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.calendar.book({
          release,
          environment: requireEnv(cmd),
          start: o.start,
          end: o.end,
          note: o.note,
          force: o.force,
          reason: o.reason,
        });
        await emit(g.json, r, () =>
          [
            `booked ${r.booking.environment} for ${r.booking.release}: ${short(r.booking.start)} – ${short(r.booking.end)} (${r.booking.id})${r.booking.forced ? ' despite conflicts' : ''}`,
            ...conflictLines(r.conflicts),
          ].join('\n'),
        );
        return 0;
      }),
    );

  calendar
    .command('bookings')
    .description('bookings of environments (active ones; --all with cancelled)')
    .option('--all', 'include cancelled bookings')
    .action(async (o, cmd) =>
      withClient(cmd, async (client, g) => {
        const items = await client.calendar.bookings({ ...calendarQuery(cmd), all: o.all });
        await emit(g.json, items, () =>
          table(
            ['ID', 'ENVIRONMENT', 'RELEASE', 'START', 'END', 'STATUS', 'BY'],
            items.map((b) => [
              b.id,
              b.environment,
              b.release,
              short(b.start),
              short(b.end),
              b.forced ? `${b.status} (forced)` : b.status,
              b.createdBy,
            ]),
          ),
        );
        return 0;
      }),
    );

  calendar
    .command('plans')
    .description('planned release windows')
    .action(async (_o, cmd) =>
      withClient(cmd, async (client, g) => {
        const items = await client.calendar.plans(calendarQuery(cmd));
        await emit(g.json, items, () =>
          table(
            ['RELEASE', 'ENVIRONMENT', 'START', 'END', 'TRAIN'],
            items.map((p) => [p.release, p.environment, short(p.start), short(p.end), p.train]),
          ),
        );
        return 0;
      }),
    );

  calendar
    .command('cancel-booking')
    .description('cancel a booking')
    .argument('<id>', 'booking id')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .action(async (id, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const b = await client.calendar.cancelBooking(id, o.reason);
        await emit(g.json, b, () => `cancelled booking ${b.id} (${b.environment} for ${b.release})`);
        return 0;
      }),
    );

  calendar
    .command('feed-token')
    .description('a personal token for the /calendar.ics feed (the previous one stops working)')
    .action(async (_o, cmd) =>
      withClient(cmd, async (client, g) => {
        const t = await client.calendar.feedToken();
        await emit(
          g.json,
          t,
          () => `feed for ${t.user}: ${g.server ? g.server.replace(/\/+$/, '') : 'http://SERVER'}${t.path}\n(shown once; keep it secret)`,
        );
        return 0;
      }),
    );
}

function requireEnv(cmd: { optsWithGlobals(): unknown }): string {
  const env = (cmd.optsWithGlobals() as CalendarOptions).env;
  if (!env) throw new AppError('bad_request', 'the environment is required: --env <key>');
  return env;
}

function conflictLines(conflicts: Conflict[]): string[] {
  return conflicts.map((c) => `  conflict (${c.kind}): ${c.message}${c.suggestion ? `; next free slot ${short(c.suggestion.start)}` : ''}`);
}

async function describeConflicts(items: Conflict[]): Promise<string> {
  if (items.length === 0) return 'no conflicts';
  const t = await table(
    ['KIND', 'ENV', 'FROM', 'A', 'B', 'SUGGESTED SLOT'],
    items.map((c) => [c.kind, c.environment, short(c.from), c.a.key, c.b.key, c.suggestion ? short(c.suggestion.start) : null]),
  );
  return `${t}\n${items.map((c) => `- ${c.message}`).join('\n')}\n${items.length} conflict${items.length === 1 ? '' : 's'}`;
}

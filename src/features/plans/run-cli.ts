import { InvalidArgumentError } from '@commander-js/extra-typings';
import type { Program } from '../../cli/context.js';
import { globalsOf, parseLimit, withClient } from '../../cli/context.js';
import { emit, fields, table } from '../../cli/output.js';
import { FINAL_RUN_STATUSES, formatMs, parseDurationMs } from './plan.js';
import type { Run, RunDetail } from './run.js';
import { runExitCode } from './run.js';

function duration(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === null) throw new InvalidArgumentError('expected a duration such as 10m, 1h or PT30M');
  return ms;
}

export function registerRunCommands(program: Program): void {
  program
    .command('promote')
    .description("promote a release into an environment: check its gate and the calendar, then run the environment's plan")
    .argument('<release>', 'PRODUCT@VERSION (an older version already deployed there is a redeploy: a rollback)')
    .requiredOption('--to <env>', 'the environment')
    .option('--at <time>', 'start at this ISO-8601 time (and then wait for the window to open)')
    .option('--wait', 'wait until the run ends; exit 0 only if it succeeded (runs it here when no worker is running)')
    .option('--timeout <duration>', 'with --wait: give up waiting after this long (the run goes on)', duration)
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const run = await client.runs.promote({ release, environment: o.to, ...(o.at ? { at: o.at } : {}) });
        if (!o.wait) {
          await emit(g.json, { run: run.id, ...run }, () => describePromotion(run));
          return 0;
        }
        if (!g.json) process.stderr.write(`${describePromotion(run)}\nwaiting for run ${run.id} …\n`);
        const done = await client.runs.wait(run.id, o.timeout);
        await emit(g.json, { run: done.id, ...done }, () => describeRun(done));
        return runExitCode(done.status);
      }),
    );

  program
    .command('runs')
    .description('runs of deployment plans, newest first')
    .option('--product <key>', 'only this product')
    .option('--env <key>', 'only this environment')
    .option('--status <status>', 'only runs in this status (queued, running, awaiting, needs_attention, succeeded, failed, …)')
    .option('--limit <n>', 'how many', parseLimit, 50)
    .option('--cursor <id>', 'continue after this run id')
    .action(async (o, cmd) =>
      withClient(cmd, async (client, g) => {
        const page = await client.runs.list({ product: o.product, environment: o.env, status: o.status, limit: o.limit, cursor: o.cursor });
        await emit(g.json, page, () =>
          table(
            ['RUN', 'RELEASE', 'ENV', 'PLAN', 'STATUS', 'PROMOTER', 'CREATED', 'ERROR'],
            page.items.map((r) => [r.id, r.release, r.environment, r.plan, r.status, r.promoter, r.createdAt, r.error]),
          ),
        );
        return 0;
      }),
    );

  const run = program.command('run').description('look at and act on one run: show, logs, cancel, retry, resume');
  run
    .command('show')
    .description('a run and its steps')
    .argument('<run>', 'run id')
    .action(async (id, _o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.runs.show(id);
        await emit(g.json, r, () => describeRun(r));
        return 0;
      }),
    );
  run
    .command('logs')
    .description("a run's output (secrets redacted); --follow prints new lines until the run ends")
    .argument('<run>', 'run id')
    .option('--step <key>', 'only this step')
    .option('--follow', 'keep printing until the run ends')
    .action(async (id, o, cmd) =>
      withClient(cmd, async (client, g) => {
        let after: string | undefined;
        let ended = false;
        for (;;) {
          const page = await client.runs.logs(id, { after, step: o.step, limit: 1000 });
          for (const l of page.items) {
            process.stdout.write(
              g.json ? `${JSON.stringify(l)}\n` : prefix(`${l.step}${l.stream === 'stdout' ? '' : ` ${l.stream}`}`, l.text),
            );
          }
          after = page.items.at(-1)?.id ?? after;
          if (page.items.length === 1000) continue;
          if (!o.follow || ended) return 0;
          // Once the run has ended, one more pass prints what it wrote before ending.
          ended = (FINAL_RUN_STATUSES as readonly string[]).includes((await client.runs.show(id)).status);
          if (ended) continue;
          await new Promise((res) => setTimeout(res, 300));
        }
      }),
    );
  run
    .command('cancel')
    .description('stop a run: queued, scheduled, running or waiting (a running command is killed)')
    .argument('<run>', 'run id')
    .option('--reason <text>', 'why')
    .action(async (id, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.runs.cancel(id, o.reason);
        await emit(g.json, r, () => describeRun(r));
        return 0;
      }),
    );
  run
    .command('retry')
    .description('run again the steps that failed (or whose outcome is unknown); steps that succeeded are not repeated')
    .argument('<run>', 'run id')
    .action(async (id, _o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.runs.retry(id);
        await emit(g.json, r, () => describeRun(r));
        return 0;
      }),
    );
  run
    .command('resume')
    .description('carry on past the steps that failed or are unknown, skipping them (your decision, audited)')
    .argument('<run>', 'run id')
    .requiredOption('--reason <text>', 'why it is safe to carry on')
    .action(async (id, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.runs.resume(id, o.reason);
        await emit(g.json, r, () => describeRun(r));
        return 0;
      }),
    );

  const step = program.command('step').description('steps that wait for a person: confirm or reject');
  step
    .command('confirm')
    .description('confirm a manual step or an approval (as --as), or declare that a step whose outcome is unknown did take effect')
    .argument('<run>', 'run id')
    .argument('<step>', 'step key')
    .option('--note <text>', 'what you checked')
    .option('--role <role>', 'the role you confirm in (when the step names one)')
    .action(async (id, key, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.runs.confirm(id, key, { note: o.note, role: o.role });
        await emit(g.json, r, () => `confirmed ${key}\n${describeRun(r)}`);
        return 0;
      }),
    );
  step
    .command('reject')
    .description("say no to a waiting step: it fails, and the plan's onFailure decides what happens (e.g. rollback)")
    .argument('<run>', 'run id')
    .argument('<step>', 'step key')
    .requiredOption('--reason <text>', 'why')
    .action(async (id, key, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const r = await client.runs.reject(id, key, o.reason);
        await emit(g.json, r, () => `rejected ${key}\n${describeRun(r)}`);
        return 0;
      }),
    );

  program
    .command('worker')
    .description('execute deployment plans: claims steps from the database (run several for more capacity)')
    .option('--concurrency <n>', 'steps at once', (v) => Number.parseInt(v, 10), 16)
    .option('--lease <duration>', 'how long a claimed step stays ours without a heartbeat', duration, 30_000)
    .option('--grace <duration>', 'on SIGTERM, how long in-flight steps may take before they are released', duration, 30_000)
    .action(async (o, cmd) => {
      const g = globalsOf(cmd);
      const { reportError } = await import('../../cli/output.js');
      try {
        if (g.server) throw new InvalidArgumentError('a worker works on the database: use --db (or RAILYARD_DB), not --server');
        const [{ startServices }, { createWorker }] = await Promise.all([
          import('../../platform/container.js'),
          import('./worker-service.js'),
        ]);
        const services = await startServices(g.db);
        const worker = createWorker(services, { concurrency: o.concurrency, leaseMs: o.lease, graceMs: o.grace });
        await worker.start();
        process.stdout.write(
          `worker ${worker.id} started on ${services.database.location} (concurrency ${o.concurrency}, lease ${formatMs(o.lease)})\n`,
        );
        const stop = async () => {
          process.stdout.write(`worker ${worker.id} stopping: finishing ${worker.busy} step(s)\n`);
          await worker.stop();
          await services.close();
          process.exit(0);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (error) {
        process.exitCode = reportError(error, g.json);
      }
    });
}

function prefix(label: string, text: string): string {
  return text
    .split('\n')
    .map((line, i, all) => (i === all.length - 1 && line === '' ? '' : `[${label}] ${line}\n`))
    .join('');
}

function describePromotion(r: Run): string {
  const how = r.redeploy ? 'redeploying' : 'promoting';
  const when =
    r.status === 'scheduled'
      ? `scheduled for ${r.scheduledAt}`
      : r.status === 'queued'
        ? 'queued (a worker starts it when the environment is free: serve, railyard worker, or promote --wait)'
        : r.status;
  return `${how} ${r.release} to ${r.environment} with plan ${r.plan}: run ${r.id} ${when}`;
}

function describeRun(r: RunDetail): string {
  const head = fields([
    ['run', r.id],
    ['release', r.release],
    ['environment', r.environment],
    ['plan', r.plan],
    ['status', r.status],
    ['promoter', r.promoter],
    ['redeploy', r.redeploy ? 'yes (rollback to this version)' : 'no'],
    ['scheduled', r.scheduledAt],
    ['started', r.startedAt],
    ['finished', r.finishedAt],
    ['deployment', r.deployment],
    ['error', r.error],
  ]);
  const rows = r.steps
    .filter((s) => s.phase === 'deploy' || s.status !== 'pending')
    .map((s) => [
      s.phase === 'rollback' ? `↩ ${s.key}` : s.key,
      s.kind,
      s.status,
      `${s.attempt}/${s.maxAttempts}`,
      s.status === 'waiting' || s.status === 'needs_attention' ? (s.error ?? s.instructions) : s.error,
    ]);
  const waiting = r.steps.filter((s) => s.status === 'waiting' || s.status === 'needs_attention');
  const hint = waiting.length
    ? `\nwaiting for a person: ${waiting.map((s) => `railyard step confirm ${r.id} ${s.key}${s.role ? ` --role ${s.role}` : ''}`).join(' | ')}`
    : '';
  return `${head}\n${rows.length ? '' : '(no steps)'}${rows.length ? tableSync(['STEP', 'KIND', 'STATUS', 'ATTEMPT', 'NOTE'], rows) : ''}${hint}`;
}

/** A plain table without loading cli-table3 (run details print often, e.g. while following). */
function tableSync(head: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] as string).length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c as string).padEnd(widths[i] as number))).join('  ')).join('\n');
}

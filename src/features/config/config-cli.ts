import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Program } from '../../cli/context.js';
import { globalsOf, withClient } from '../../cli/context.js';
import { emit, reportError } from '../../cli/output.js';
import { AppError } from '../../platform/errors.js';
import type { Plan, PlanItem } from './config-plan.js';
import { STARTER_CONFIG } from './starter.js';

export function registerConfigCommands(program: Program): void {
  program
    .command('init')
    .description('write a commented starter railyard.yaml')
    .option('-f, --file <path>', 'where to write it', 'railyard.yaml')
    .option('--force', 'overwrite an existing file')
    .action((o, cmd) => {
      const g = globalsOf(cmd);
      try {
        if (existsSync(o.file) && !o.force) throw new AppError('conflict', `${o.file} already exists (use --force to overwrite it)`);
        writeFileSync(o.file, STARTER_CONFIG);
        void emit(g.json, { file: o.file }, () => `wrote ${o.file}\nnext: railyard apply -f ${o.file} --dry-run`);
      } catch (error) {
        process.exitCode = reportError(error, g.json);
      }
    });

  program
    .command('apply')
    .description('validate railyard.yaml, show the create/update/delete plan and apply it in one transaction')
    .requiredOption('-f, --file <path>', 'the configuration file (- for standard input)')
    .option('--dry-run', 'only show the plan')
    .action(async (o, cmd) =>
      withClient(cmd, async (client, g) => {
        const text = readConfig(o.file);
        const name = o.file === '-' ? 'stdin' : o.file;
        const result = await client.apply(text, name, o.dryRun === true);
        await emit(g.json, result, () => describePlan(result, result.dryRun));
        return 0;
      }),
    );

  program
    .command('schema')
    .description('print the JSON Schema of railyard.yaml (for editor completion)')
    .action(async () => {
      const { jsonSchemaDocument } = await import('./config-schema.js');
      process.stdout.write(`${JSON.stringify(jsonSchemaDocument(), null, 2)}\n`);
    });
}

function readConfig(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AppError(
      'bad_request',
      code === 'ENOENT' ? `${file}: no such file (create one with: railyard init)` : `${file}: cannot read (${code})`,
    );
  }
}

const SIGN: Record<PlanItem['action'], string> = { create: '+', update: '~', delete: '-', unchanged: '=' };

function describePlan(plan: Plan, dryRun: boolean): string {
  const lines: string[] = [];
  for (const item of plan.items) {
    if (item.action === 'unchanged') continue;
    const note = item.action === 'delete' ? ' (archived: its releases and history are kept)' : item.restore ? ' (restored)' : '';
    lines.push(`${SIGN[item.action]} ${item.kind} ${item.key}${note}`);
    for (const c of item.changes) lines.push(`    ${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
  }
  const p = plan;
  if (lines.length === 0) lines.push('no changes: the database already matches the file');
  lines.push(
    dryRun
      ? `plan: ${p.created} to create, ${p.updated} to update, ${p.deleted} to delete, ${p.unchanged} unchanged (dry run, nothing applied)`
      : `applied: ${p.created} created, ${p.updated} updated, ${p.deleted} deleted, ${p.unchanged} unchanged`,
  );
  return lines.join('\n');
}

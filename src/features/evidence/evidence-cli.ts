import { statSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import type { Program } from '../../cli/context.js';
import { withClient } from '../../cli/context.js';
import { emit, table } from '../../cli/output.js';
import { AppError } from '../../platform/errors.js';
import { EVIDENCE_KINDS, isReportKind, parseCustomValue } from './evidence.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerEvidenceCommands(program: Program): void {
  const evidence = program.command('evidence').description('facts about a release: test reports, coverage, scans, CI, sign-offs');

  evidence
    .command('add')
    .description('ingest a report file or record a fact; the same source again replaces it (history is kept)')
    .argument('<release>', 'PRODUCT@VERSION')
    .argument('[file]', 'the report (junit, lcov, cobertura, istanbul, sarif)')
    .addOption(new Option('--kind <kind>', 'what it is').choices(EVIDENCE_KINDS).makeOptionMandatory())
    .option('--source <name>', 'where it comes from, e.g. unit-tests (default: the kind)')
    .addOption(new Option('--status <status>', 'ci: the pipeline outcome').choices(['pass', 'fail'] as const))
    .option('--url <url>', 'ci: link to the run')
    .option('--role <role>', 'signoff: who signs off (qa, security, product…)')
    .option('--comment <text>', 'signoff: a comment')
    .option('--set <key=value>', 'custom: a value (repeatable; JSON numbers and booleans are typed)', collect, [] as string[])
    .action(async (release, file, o, cmd) =>
      withClient(cmd, async (client, g) => {
        let input: Parameters<typeof client.addEvidence>[0];
        if (isReportKind(o.kind)) {
          if (!file)
            throw new AppError(
              'bad_request',
              `--kind ${o.kind} needs a report file: railyard evidence add ${release} --kind ${o.kind} FILE`,
            );
          try {
            if (!statSync(file).isFile()) throw new Error('not a file');
          } catch {
            throw new AppError('bad_request', `${file}: no such file`);
          }
          input = { release, kind: o.kind, source: o.source, path: file };
        } else if (o.kind === 'ci') {
          input = { release, kind: 'ci', source: o.source, facts: { status: o.status, url: o.url } };
        } else if (o.kind === 'signoff') {
          input = { release, kind: 'signoff', source: o.source, facts: { role: o.role, comment: o.comment } };
        } else {
          const facts: Record<string, unknown> = {};
          for (const pair of o.set) {
            const eq = pair.indexOf('=');
            if (eq <= 0) throw new AppError('bad_request', `--set ${pair}: write KEY=VALUE`);
            facts[pair.slice(0, eq)] = parseCustomValue(pair.slice(eq + 1));
          }
          input = { release, kind: 'custom', source: o.source, facts };
        }
        const r = await client.addEvidence(input);
        await emit(g.json, r, () => {
          const what = r.changed ? (r.replaced ? 'replaced' : 'added') : 'unchanged (same content as before)';
          return `${r.evidence.kind} evidence for ${r.evidence.release} from ${r.evidence.source}: ${what}\n${summarize(r.evidence.kind, r.evidence.facts)}`;
        });
        return 0;
      }),
    );

  evidence
    .command('list')
    .description('the current evidence of a release (with --history, every submission)')
    .argument('<release>', 'PRODUCT@VERSION')
    .option('--history', 'include replaced submissions')
    .action(async (release, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const items = await client.listEvidence(release, o.history === true);
        await emit(g.json, { items }, () =>
          table(
            ['KIND', 'SOURCE', 'SUMMARY', 'BY', 'AT', 'REPLACED'],
            items.map((e) => [e.kind, e.source, summarize(e.kind, e.facts), e.actor, e.createdAt, e.supersededAt]),
          ),
        );
        return 0;
      }),
    );
}

function summarize(kind: string, facts: object): string {
  const f = facts as Record<string, unknown>;
  if (kind === 'junit') return `${f.total} tests: ${f.passed} passed, ${f.failed} failed, ${f.skipped} skipped (${f.durationSeconds} s)`;
  if (kind === 'sarif') return `${f.total} results: ${f.error} error, ${f.warning} warning, ${f.note} note`;
  return Object.entries(f)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

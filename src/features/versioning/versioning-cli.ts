import { Option } from '@commander-js/extra-typings';
import type { GlobalOptions, Program } from '../../cli/context.js';
import { globalsOf } from '../../cli/context.js';
import { reportError } from '../../cli/output.js';
import { DEFAULT_TAG_FORMAT } from '../products/product.js';
import { registerReleaseCutCommand } from './release-cut-cli.js';
import { parsePreId, parseTagFormat, type RangeOptions } from './versioning-options-cli.js';

/** Runs a command that needs no database; failures become a message and an exit code, never a stack trace. */
async function standalone(cmd: { optsWithGlobals(): unknown }, body: (g: GlobalOptions) => Promise<number | undefined>): Promise<void> {
  const g = globalsOf(cmd);
  try {
    process.exitCode = (await body(g)) ?? 0;
  } catch (error) {
    process.exitCode = reportError(error, g.json);
  }
}

/** Options every range command shares. */
function addRangeOptions(command: { addOption(option: Option): unknown }): void {
  const options = [
    new Option('--repo <dir>', 'the git repository (a folder inside it)').default('.'),
    new Option('--to <ref>', 'end of the range: a tag, branch or commit').default('HEAD'),
    new Option('--path <folder>', 'only commits that touch this folder (from the repository top), for monorepos'),
    new Option('--tag-format <format>', `release tag format, e.g. v{version}, {name}@{version} (default ${DEFAULT_TAG_FORMAT})`).argParser(
      parseTagFormat,
    ),
    new Option('--product <key>', 'take --path and --tag-format from this product of railyard.yaml'),
    new Option('--pre <id>', 'a prerelease: 1.3.0-rc.0, then rc.1 … (e.g. rc, beta)').argParser(parsePreId),
    new Option('--config <file>', 'railyard.yaml to read (default: ./railyard.yaml when it exists)'),
  ];
  for (const option of options) command.addOption(option as unknown as Option);
}

export function registerVersioningCommands(program: Program): void {
  const version = program
    .command('version')
    .description('the next version, from the commits since the latest release tag (conventional commits)')
    .option('--all', 'every product declared in railyard.yaml, in one pass over the history');
  addRangeOptions(version);
  version.action(async (_o, cmd) =>
    standalone(cmd, async (g) => {
      const { runVersion } = await import('./versioning-actions-cli.js');
      return runVersion(cmd.opts() as RangeOptions & { all?: boolean }, g);
    }),
  );

  const notes = program
    .command('notes')
    .description('release notes for the commits after the previous release tag (or --from) up to --to')
    .option('--from <tag>', 'start after this tag (default: the previous release tag)')
    .addOption(
      new Option('--format <format>', 'md or json (--json is the same as --format json)').choices(['md', 'json'] as const).default('md'),
    )
    .option('--repo-url <url>', 'web address of the repository, for links (default: from git remote)');
  addRangeOptions(notes);
  notes.action(async (_o, cmd) =>
    standalone(cmd, async (g) => {
      const { runNotes } = await import('./versioning-actions-cli.js');
      return runNotes(cmd.opts() as RangeOptions & { from?: string; format: 'md' | 'json'; repoUrl?: string }, g);
    }),
  );

  const changelog = program
    .command('changelog')
    .description('put the new release section at the top of CHANGELOG.md (again: replaced, not repeated), or --all to regenerate it')
    .option('--file <file>', 'the changelog file (default: CHANGELOG.md in the repository top, or in --path)')
    .option('--all', 'regenerate the whole file from every release tag, in one pass over the history')
    .option('--stdout', 'print the resulting file instead of writing it')
    .option('--repo-url <url>', 'web address of the repository, for links (default: from git remote)');
  addRangeOptions(changelog);
  changelog.action(async (_o, cmd) =>
    standalone(cmd, async (g) => {
      const { runChangelog } = await import('./versioning-actions-cli.js');
      return runChangelog(cmd.opts() as RangeOptions & { file?: string; all?: boolean; stdout?: boolean; repoUrl?: string }, g);
    }),
  );

  registerReleaseCutCommand(program);
}

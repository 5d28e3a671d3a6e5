import type { Program } from '../../cli/context.js';
import { withClient } from '../../cli/context.js';
import { parsePreId } from './versioning-options-cli.js';

/**
 * `railyard release cut PRODUCT`: computes the version, notes and scope from the local git repository and
 * records the release (in the database, or on the server with --server), then optionally tags the commit.
 */
export function registerReleaseCutCommand(program: Program): void {
  const release = program.command('release').description('cut releases from git (see also: railyard releases)');
  release
    .command('cut')
    .description('create the release record of PRODUCT from git: next version, scope (changes) and notes; --tag tags the commit')
    .argument('<product>', 'product key (its path and tag format come from the database or server)')
    .option('--repo <dir>', 'the git repository (a folder inside it)', '.')
    .option('--to <ref>', 'the commit to release', 'HEAD')
    .option('--pre <id>', 'a prerelease: 1.3.0-rc.0, then rc.1 … (e.g. rc, beta)', parsePreId)
    .option('--tag', 'also create the annotated git tag of the version (with the notes as its message)')
    .option('--title <title>', 'title of the release (default PRODUCT@VERSION)')
    .option('--target-date <date>', 'target date, YYYY-MM-DD or ISO-8601 time')
    .option('--train <key>', 'release train it rides')
    .option('--repo-url <url>', 'web address of the repository, for links (default: from git remote)')
    .option('--config <file>', 'railyard.yaml with the versioning section (default: ./railyard.yaml when it exists)')
    .action(async (key, o, cmd) =>
      withClient(cmd, async (client, g) => {
        const { runCut } = await import('./versioning-actions-cli.js');
        return runCut(client, key, o, g);
      }),
    );
}

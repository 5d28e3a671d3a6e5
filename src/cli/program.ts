import { Command } from '@commander-js/extra-typings';
import type { Program } from './context.js';

/** The `railyard` program with its global options, before any command is registered. */
export function createProgram(version: string) {
  return new Command()
    .name('railyard')
    .description('Release management: plan, gate, promote and measure releases.')
    .version(version, '-V, --version')
    .option('--db <path|url>', 'SQLite file or postgres:// URL (env RAILYARD_DB)', process.env.RAILYARD_DB || './railyard.db')
    .option('--json', 'print JSON (stable field names) instead of tables', false)
    .option(
      '--server <url>',
      'talk to a Railyard server instead of a database (env RAILYARD_SERVER)',
      process.env.RAILYARD_SERVER || undefined,
    )
    .option('--token <token>', 'API token for --server (env RAILYARD_TOKEN)', process.env.RAILYARD_TOKEN || undefined)
    .option('--as <user>', 'who is acting, recorded in the audit trail (default: your OS user)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
}

type Register = (program: Program) => void;

/**
 * Every top-level command, by the module that registers it, in the order `railyard --help` lists them. The
 * modules are imported only when needed: a command line that names one of these words loads that module
 * alone (`railyard version` does not load the calendar's or the gates' command definitions).
 */
export const COMMAND_MODULES: { words: readonly string[]; load: (version: string) => Promise<Register> }[] = [
  { words: ['init', 'apply', 'schema'], load: async () => (await import('../features/config/config-cli.js')).registerConfigCommands },
  {
    words: ['products', 'envs', 'tracks', 'trains'],
    load: async () => (await import('../features/products/catalog-cli.js')).registerCatalogCommands,
  },
  { words: ['releases'], load: async () => (await import('../features/releases/release-cli.js')).registerReleaseCommands },
  { words: ['deployments'], load: async () => (await import('../features/deployments/deployment-cli.js')).registerDeploymentCommands },
  { words: ['audit'], load: async () => (await import('../features/audit/audit-cli.js')).registerAuditCommands },
  { words: ['can-promote', 'calendar'], load: async () => (await import('../features/calendar/calendar-cli.js')).registerCalendarCommands },
  { words: ['windows', 'freeze'], load: async () => (await import('../features/calendar/window-cli.js')).registerWindowCommands },
  {
    words: ['version', 'notes', 'changelog', 'release'],
    // `version`, `notes` and `changelog` need their actions at once: those load beside the definitions
    // instead of after them, saving a round of module loading on every call.
    load: async () => {
      const [cli] = await Promise.all([
        import('../features/versioning/versioning-cli.js'),
        import('../features/versioning/versioning-actions-cli.js'),
      ]);
      return cli.registerVersioningCommands;
    },
  },
  { words: ['evidence'], load: async () => (await import('../features/evidence/evidence-cli.js')).registerEvidenceCommands },
  { words: ['gate', 'approve', 'approvals'], load: async () => (await import('../features/gates/gate-cli.js')).registerGateCommands },
  { words: ['review', 'report'], load: async () => (await import('../features/reviews/review-cli.js')).registerReviewCommands },
  { words: ['risk'], load: async () => (await import('../features/risk/risk-cli.js')).registerRiskCommands },
  {
    words: ['promote', 'runs', 'run', 'step', 'worker'],
    load: async () => (await import('../features/plans/run-cli.js')).registerRunCommands,
  },
  { words: ['db'], load: async () => (await import('./db-cli.js')).registerDbCommands },
  {
    words: ['serve'],
    load: async (version) => {
      const { registerServeCommand } = await import('./serve-cli.js');
      return (program) => registerServeCommand(program, version);
    },
  },
];

interface OptionShape {
  short?: string;
  long?: string;
  required: boolean;
  optional: boolean;
}

export type Route = { kind: 'command'; word: string } | { kind: 'version' } | { kind: 'all' };

/**
 * Which commands a command line needs, judged the way commander parses it: the program's own options are
 * read first (with their values), and the first other argument is the command. A command word means only
 * its module; a bare `--version` means none; anything else — help, no command, an option the program does
 * not know, `--` — means every command, so that commander answers exactly as it always did.
 */
export function routeOf(args: readonly string[], options: readonly OptionShape[]): Route {
  let version = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg.length > 1 && arg.startsWith('-')) {
      const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
      const flag = eq === -1 ? arg : arg.slice(0, eq);
      const option = options.find((o) => o.long === flag || o.short === flag);
      if (!option || (eq !== -1 && !option.required && !option.optional)) return { kind: 'all' };
      if (eq === -1 && option.required) i++;
      else if (eq === -1 && option.optional) {
        const next = args[i + 1];
        if (next !== undefined && !(next.length > 1 && next.startsWith('-'))) i++;
      } else if (eq === -1 && option.long === '--version') version = true;
      continue;
    }
    return COMMAND_MODULES.some((m) => m.words.includes(arg)) ? { kind: 'command', word: arg } : { kind: 'all' };
  }
  return version ? { kind: 'version' } : { kind: 'all' };
}

/** The registrations a route needs, in `--help` order. */
export async function registrationsFor(route: Route, version: string): Promise<Register[]> {
  if (route.kind === 'version') return [];
  const modules = route.kind === 'command' ? COMMAND_MODULES.filter((m) => m.words.includes(route.word)) : COMMAND_MODULES;
  return Promise.all(modules.map((m) => m.load(version)));
}

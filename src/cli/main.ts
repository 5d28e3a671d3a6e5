#!/usr/bin/env node
import { Command, CommanderError } from '@commander-js/extra-typings';
import { registerAuditCommands } from '../features/audit/audit-cli.js';
import { registerCalendarCommands } from '../features/calendar/calendar-cli.js';
import { registerWindowCommands } from '../features/calendar/window-cli.js';
import { registerConfigCommands } from '../features/config/config-cli.js';
import { registerDeploymentCommands } from '../features/deployments/deployment-cli.js';
import { registerEvidenceCommands } from '../features/evidence/evidence-cli.js';
import { registerGateCommands } from '../features/gates/gate-cli.js';
import { registerRunCommands } from '../features/plans/run-cli.js';
import { registerCatalogCommands } from '../features/products/catalog-cli.js';
import { registerReleaseCommands } from '../features/releases/release-cli.js';
import { registerReviewCommands } from '../features/reviews/review-cli.js';
import { registerRiskCommands } from '../features/risk/risk-cli.js';
import { registerVersioningCommands } from '../features/versioning/versioning-cli.js';
import { packageVersion } from '../platform/paths.js';
import type { Program } from './context.js';
import { registerServeCommand } from './serve-cli.js';

// Only commander and the command definitions load here; database drivers, the HTTP server and table
// rendering are imported by the command that needs them, which keeps `railyard --version` fast.
const version = packageVersion();

const program = new Command()
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

const root = program as unknown as Program;
registerConfigCommands(root);
registerCatalogCommands(root);
registerReleaseCommands(root);
registerDeploymentCommands(root);
registerAuditCommands(root);
registerCalendarCommands(root);
registerWindowCommands(root);
registerVersioningCommands(root);
registerEvidenceCommands(root);
registerGateCommands(root);
registerReviewCommands(root);
registerRiskCommands(root);
registerRunCommands(root);
registerServeCommand(root, version);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and --version exit 0; everything else commander rejects is a usage error.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    throw error;
  }
}

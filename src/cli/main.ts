#!/usr/bin/env node
import { CommanderError } from '@commander-js/extra-typings';
import { packageVersion } from '../platform/paths.js';
import type { Program } from './context.js';
import { createProgram, registrationsFor, routeOf } from './program.js';

// Only commander and the definitions of the command being run load here (see program.ts; help and anything
// unusual load them all); database drivers, the HTTP server and table rendering are imported by the command
// that needs them, which keeps start-up short.
const version = packageVersion();
const program = createProgram(version);
const root = program as unknown as Program;
for (const register of await registrationsFor(routeOf(process.argv.slice(2), program.options), version)) register(root);

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

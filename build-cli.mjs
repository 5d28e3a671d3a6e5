// Bundles the CLI into dist/bin with code splitting: each command's heavy dependencies (database drivers'
// query builder, the HTTP server) stay in chunks loaded only when the command runs. One file per chunk loads
// far faster than the hundreds of small modules Kysely ships, which keeps `railyard` start-up short.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: start clean so old chunks do not pile up.
rmSync('dist/bin', { recursive: true, force: true });

await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
  // Native addons, and packages that load files of their own at run time (pino's worker transports,
  // fastify's plugins), stay as ordinary imports from node_modules.
  external: ['better-sqlite3', 'pg', 'fastify', 'pino', '@fastify/*'],
  banner: { js: "import { createRequire as __railyardRequire } from 'node:module'; const require = __railyardRequire(import.meta.url);" },
});

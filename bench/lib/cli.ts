import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { log } from './report.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'bin', 'main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Bundles the CLI (node build-cli.mjs, well under a second) when dist/bin/main.js is missing or older than
 * any file in src/, so the subprocess benchmarks never measure stale code.
 */
export function ensureBuilt(): void {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  log('building the CLI (node build-cli.mjs)…');
  const r = spawnSync(process.execPath, ['build-cli.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('node build-cli.mjs failed');
}

export interface CommandRun {
  ms: number;
  stdout: string;
}

/**
 * The environment the timed subprocesses get: PATH and HOME only. Nothing from the caller's shell reaches
 * them: no RAILYARD_*, and no NODE_OPTIONS or NODE_EXTRA_CA_CERTS (which makes every Node process read a CA
 * bundle at start, ~70 ms here, and would be measured as the CLI's start-up).
 */
export const CLEAN_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

/** Runs a command to completion as a real subprocess; returns its wall-clock time. Fails on a non-zero exit. */
export function timeCommand(args: readonly string[], options: { cwd?: string; input?: string } = {}): CommandRun {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: CLEAN_ENV,
  });
  const ms = performance.now() - start;
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`node ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}${r.stdout.slice(0, 2000)}`);
  }
  return { ms, stdout: r.stdout };
}

/**
 * CPU time (user + system) used so far by this process's finished children, in ms; undefined off Linux.
 * Unlike wall-clock time it hardly grows when other processes compete for the CPU, so it tells a slow
 * machine apart from slow code. Read from /proc/self/stat (cutime, cstime) in clock ticks of 10 ms.
 */
export function childCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command name start at field 3 (state); cutime and cstime are fields 16 and 17.
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

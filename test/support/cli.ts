import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'bin', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `railyard` CLI as a user would, in `cwd`, and returns what it printed. */
export function railyard(args: string[], options: { cwd: string; env?: Record<string, string>; input?: string }): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, RAILYARD_DB: '', RAILYARD_SERVER: '', RAILYARD_TOKEN: '', ...options.env },
    input: options.input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RunningServer {
  url: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `railyard serve` as a subprocess and waits until /healthz answers. */
export async function startServer(args: string[], cwd: string): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--log-level', 'warn', ...args], {
    cwd,
    env: { ...process.env, RAILYARD_DB: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${out}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become healthy:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    process: child,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export interface WorkerProcess {
  /** The worker id it claims steps under (lease_owner). */
  id: string;
  pid: number;
  process: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`: resolves when it has exited. */
  stop(graceMs?: number): Promise<number | string>;
}

/** Starts `railyard worker` on `db` as a subprocess and waits until it has registered. */
export async function startWorkerProcess(db: string, args: string[], cwd: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI, 'worker', '--db', db, ...args], {
    cwd,
    env: { ...process.env, RAILYARD_DB: '', RAILYARD_SERVER: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const id = /^worker (\S+) started/m.exec(out)?.[1];
      if (id) {
        clearTimeout(timer);
        resolve(id);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it started:\n${out}`));
    });
  });
  const id = await started.catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    id,
    pid: child.pid as number,
    process: child,
    output: () => out,
    exited,
    stop: (graceMs = 5_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
      }
      return exited;
    },
  };
}

/** `railyard()` without blocking the event loop, for tests whose servers in this process must keep answering. */
/**
 * The CLI as a subprocess without blocking the event loop. `node`: options for Node itself (e.g. a heap limit);
 * `timeoutMs`: when it is killed (default 30 s).
 */
export function railyardAsync(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; node?: string[]; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(options.node ?? []), CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, RAILYARD_DB: '', RAILYARD_SERVER: '', RAILYARD_TOKEN: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

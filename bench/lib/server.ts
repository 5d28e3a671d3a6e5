import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { CLI, ROOT } from './cli.js';

export interface RunningServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === 'string') throw new Error('cannot find a free port');
  return address.port;
}

/** `railyard serve` over `db` as a subprocess; resolves once /healthz answers. */
export async function startServer(db: string): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, '--db', db, 'serve', '--port', String(port), '--log-level', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited()) throw new Error(`railyard serve exited ${child.exitCode ?? child.signalCode}:\n${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`railyard serve did not answer /healthz within 15 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    process: child,
    async stop() {
      if (exited()) return;
      const done = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        process.stderr.write('railyard serve did not stop within 5 s of SIGTERM; killing it\n');
        child.kill('SIGKILL');
      }, 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

import { spawn } from 'node:child_process';
import type { ClaimedStep, StepOutcome } from './engine-service.js';
import { DEFAULT_STEP_TIMEOUT_MS, formatMs, type HttpRequestSpec, interpolate, redact } from './plan.js';

export type LogStream = 'stdout' | 'stderr' | 'system';

export interface ExecutionContext {
  /** Aborted when the worker lost the step (taken over, cancelled) or is stopping. */
  signal: AbortSignal;
  log(stream: LogStream, text: string): void;
  /** The calendar: is the environment open for this product now, and if not when next. */
  windowCheck?: (step: ClaimedStep) => Promise<{ allowed: boolean; nextOpen: string | null; reason: string }>;
}

/** What every command gets from the worker's own environment; anything else must be declared. */
const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'SHELL'];
const KILL_GRACE_MS = 2_000;

/** Values of the step's declared secrets, read from the worker's environment. */
export function secretValues(step: ClaimedStep): { values: Record<string, string>; missing: string[] } {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of step.spec.secrets) {
    const v = process.env[name];
    if (v === undefined) missing.push(name);
    else values[name] = v;
  }
  return { values, missing };
}

/** Executes one attempt of a claimed step. Never throws: every failure is an outcome. */
export async function executeStep(step: ClaimedStep, ctx: ExecutionContext): Promise<StepOutcome> {
  const { spec } = step;
  const secrets = secretValues(step);
  if (secrets.missing.length > 0) {
    return {
      kind: 'failed',
      retryable: false,
      error: `secret ${secrets.missing.join(', ')} is not set in the worker's environment (declare it there: the step lists it under secrets:)`,
    };
  }
  const vars: Record<string, string> = { ...(step.vars as unknown as Record<string, string>), ...spec.env, ...secrets.values };
  try {
    switch (spec.kind) {
      case 'run':
        return await runCommand(spec.run ?? [], { ...ctx, vars, cwd: spec.cwd, timeoutMs: spec.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS });
      case 'http':
        return await httpStep(spec.http as HttpRequestSpec, vars, Object.values(secrets.values), ctx, spec.timeoutMs ?? 60_000);
      case 'verify':
        return await verifyStep(step, vars, ctx);
      case 'wait':
        if (spec.wait?.window && ctx.windowCheck) {
          const w = await ctx.windowCheck(step);
          if (!w.allowed)
            return {
              kind: 'later',
              at: w.nextOpen ?? new Date(Date.now() + 60_000).toISOString(),
              note: `waiting for the window: ${w.reason}`,
            };
          ctx.log('system', 'the environment window is open\n');
        }
        return { kind: 'succeeded' };
      default:
        return { kind: 'failed', retryable: false, error: `a ${spec.kind} step is not executed by a worker` };
    }
  } catch (error) {
    return { kind: 'failed', error: `the step could not be executed: ${(error as Error).message}` };
  }
}

interface CommandOptions extends ExecutionContext {
  vars: Record<string, string>;
  cwd: string | null;
  timeoutMs: number;
}

/**
 * Runs argv (no shell: values reach the command as environment variables, never spliced into a string) in
 * its own process group, so a timeout or cancellation kills everything it started.
 */
function runCommand(argv: string[], o: CommandOptions): Promise<StepOutcome> {
  const [command, ...args] = argv;
  if (!command) return Promise.resolve({ kind: 'failed', retryable: false, error: 'run: no command given' });
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  Object.assign(env, o.vars);
  return new Promise((resolve) => {
    let settled = false;
    let killedFor: string | null = null;
    const child = spawn(command, args, { cwd: o.cwd ?? undefined, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const killGroup = (why: string) => {
      if (killedFor || child.exitCode !== null || child.pid === undefined) return;
      killedFor = why;
      const pid = child.pid;
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {}
      setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {}
      }, KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => killGroup(`timed out after ${formatMs(o.timeoutMs)}`), o.timeoutMs);
    const onAbort = () => killGroup(`stopped: ${String(o.signal.reason ?? 'aborted')}`);
    o.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => o.log('stdout', b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => o.log('stderr', b.toString('utf8')));
    const finish = (outcome: StepOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'ENOENT'
          ? `command '${command}' not found${o.cwd ? ` (or the folder ${o.cwd} does not exist)` : ''}: is it installed on the worker and on its PATH?`
          : `command '${command}' could not start: ${error.message}`;
      finish({ kind: 'failed', error: message, retryable: error.code !== 'ENOENT' });
    });
    child.on('close', (code, signal) => {
      if (killedFor) return finish({ kind: 'failed', error: `command ${killedFor}`, result: { exitCode: code, signal } });
      if (code === 0) return finish({ kind: 'succeeded', result: { exitCode: 0 } });
      finish({
        kind: 'failed',
        error: signal ? `command was killed by ${signal}` : `command exited with status ${code}`,
        result: { exitCode: code, signal },
      });
    });
  });
}

function request(spec: HttpRequestSpec, vars: Record<string, string>) {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.headers)) headers[k] = interpolate(v, vars);
  return {
    url: interpolate(spec.url, vars),
    init: { method: spec.method, headers, body: spec.body === null ? undefined : interpolate(spec.body, vars) },
  };
}

async function httpStep(
  spec: HttpRequestSpec,
  vars: Record<string, string>,
  secrets: string[],
  ctx: ExecutionContext,
  timeoutMs: number,
): Promise<StepOutcome> {
  const { url, init } = request(spec, vars);
  // Only the declared secrets: run variables and env values (the product, the environment) stay readable.
  const shown = redact(
    url,
    secrets.filter((v) => !url.startsWith(v)),
  );
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return { kind: 'failed', error: `${spec.method} ${shown} failed: ${cause}` };
  }
  const body = await response.text().catch(() => '');
  ctx.log('system', `${spec.method} ${shown} → ${response.status}\n`);
  if (body) ctx.log('stdout', `${body.slice(0, 4096)}${body.length > 4096 ? '\n[response body cut at 4 KiB]' : ''}\n`);
  if (spec.expectStatus.includes(response.status)) return { kind: 'succeeded', result: { status: response.status } };
  return {
    kind: 'failed',
    error: `${spec.method} ${shown} answered ${response.status} (expected ${spec.expectStatus.length > 3 ? `${spec.expectStatus[0]}–${spec.expectStatus.at(-1)}` : spec.expectStatus.join(' or ')})`,
    result: { status: response.status },
  };
}

/** Probes until the condition has held without a break for `for`, or fails at the deadline. */
async function verifyStep(step: ClaimedStep, vars: Record<string, string>, ctx: ExecutionContext): Promise<StepOutcome> {
  const v = step.spec.verify;
  if (!v) return { kind: 'failed', retryable: false, error: 'verify: nothing to verify' };
  const started = Date.now();
  let heldSince: number | null = null;
  let probes = 0;
  let last = '';
  while (!ctx.signal.aborted) {
    probes++;
    const probe = await probeOnce(v, vars, step.spec.cwd, ctx);
    const now = Date.now();
    if (probe.ok) {
      heldSince ??= now;
      if (now - heldSince >= v.forMs) {
        ctx.log('system', `verified: ${probe.detail} held for ${formatMs(now - heldSince)} (${probes} probes)\n`);
        return { kind: 'succeeded', result: { probes, heldMs: now - heldSince } };
      }
    } else {
      if (heldSince !== null) ctx.log('system', `condition broke after ${formatMs(now - heldSince)}: ${probe.detail}\n`);
      heldSince = null;
    }
    if (probe.detail !== last) ctx.log('system', `probe: ${probe.detail}\n`);
    last = probe.detail;
    if (now - started >= v.timeoutMs) {
      return {
        kind: 'failed',
        error: `verification did not hold for ${formatMs(v.forMs)} within ${formatMs(v.timeoutMs)}: last probe ${probe.detail}`,
        result: { probes },
      };
    }
    await sleep(Math.min(v.intervalMs, Math.max(0, started + v.timeoutMs - now)), ctx.signal);
  }
  return { kind: 'failed', error: `stopped: ${String(ctx.signal.reason ?? 'aborted')}` };
}

async function probeOnce(
  v: NonNullable<ClaimedStep['spec']['verify']>,
  vars: Record<string, string>,
  cwd: string | null,
  ctx: ExecutionContext,
): Promise<{ ok: boolean; detail: string }> {
  if (v.http) {
    const { url, init } = request(v.http, vars);
    try {
      const r = await fetch(url, { ...init, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.max(1000, v.intervalMs * 5))]) });
      await r.arrayBuffer().catch(() => undefined);
      return { ok: v.http.expectStatus.includes(r.status), detail: `${v.http.method} ${v.http.url} → ${r.status}` };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      return { ok: false, detail: `${v.http.method} ${v.http.url} → ${cause}` };
    }
  }
  const outcome = await runCommand(v.run ?? [], { ...ctx, log: () => {}, vars, cwd, timeoutMs: 30_000 });
  return {
    ok: outcome.kind === 'succeeded',
    detail: `${(v.run ?? []).join(' ')} → ${outcome.kind === 'succeeded' ? 'exit 0' : (outcome as { error: string }).error}`,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

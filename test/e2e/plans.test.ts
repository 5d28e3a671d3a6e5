import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type CliResult, freePort, type RunningServer, railyard, startServer } from '../support/cli.js';
import { ACCEPTANCE_YAML } from '../support/plan-fixtures.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'plans');
const EXAMPLE_PORT = '4817';
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

interface Step {
  key: string;
  status: string;
  result: Record<string, unknown> | null;
  instructions: string | null;
}

const children = new Set<ChildProcess>();

/**
 * Like railyard(), without blocking this process: for a command that waits while the test acts (a second CLI
 * confirms a step), or while an HTTP server in this process answers its probes.
 */
function railyardLater(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, RAILYARD_DB: '', RAILYARD_SERVER: '', RAILYARD_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the example plan (examples/plans) end to end through the built CLI', () => {
  let dir: string;
  let port: number;
  let service: ChildProcess | undefined;
  let server: RunningServer | undefined;
  let succeededRun = '';
  let rolledBackRun = '';
  const run = (...args: string[]) => railyard(args, { cwd: dir });
  const json = (...args: string[]) => {
    const r = run(...args, '--json');
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout);
  };
  const serviceState = async () => (await fetch(`http://127.0.0.1:${port}/`)).json();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-plans-'));
    cpSync(EXAMPLE, dir, { recursive: true });
    port = await freePort();
    const file = join(dir, 'railyard.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll(`127.0.0.1:${EXAMPLE_PORT}`, `127.0.0.1:${port}`));
    service = spawn(process.execPath, ['fake-service.mjs'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
    for (let i = 0; ; i++) {
      if (
        await fetch(`http://127.0.0.1:${port}/health`).then(
          () => true,
          () => false,
        )
      )
        break;
      if (i > 100) throw new Error('the fake service did not start');
      await sleep(100);
    }
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all([...children].map(stopChild));
    await stopChild(service);
    rmSync(dir, { recursive: true, force: true });
  });

  it('promotes shop@1.0.0 to staging: migrate, deploy and verify run, then promote --wait waits for a sign-off that a second CLI confirms', async () => {
    expect(run('apply', '-f', 'railyard.yaml').code).toBe(0);
    expect(run('releases', 'create', 'shop', '1.0.0').code).toBe(0);
    const promoting = railyardLater(['promote', 'shop@1.0.0', '--to', 'staging', '--wait', '--json'], dir);

    let waiting: { items: { id: string }[] } = { items: [] };
    for (let i = 0; waiting.items.length === 0 && i < 60; i++) {
      await sleep(i === 0 ? 3000 : 500); // three commands and two seconds of verify come first
      waiting = json('runs', '--status', 'awaiting');
    }
    const id = waiting.items[0]?.id ?? '';
    succeededRun = id;
    const shown = json('run', 'show', id);
    expect(shown.steps.map((s: Step) => [s.key, s.status])).toEqual([
      ['migrate', 'succeeded'],
      ['deploy', 'succeeded'],
      ['verify', 'succeeded'],
      ['sign-off', 'waiting'],
      ['restore', 'pending'],
    ]);
    expect(shown.steps[3].instructions).toContain('check that the new version runs, then confirm');

    const withoutRole = run('step', 'confirm', id, 'sign-off');
    expect(withoutRole.code).toBe(1);
    expect(withoutRole.stderr).toBe(
      'error: step sign-off is confirmed in role \'release-manager\': give that role (CLI --role release-manager, API "role") if it is yours\n',
    );
    const confirmed = run('step', 'confirm', id, 'sign-off', '--role', 'release-manager', '--note', '1.0.0 runs', '--as', 'rita');
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toContain('confirmed sign-off');

    const promoted = await promoting;
    expect(promoted.code).toBe(0);
    const result = JSON.parse(promoted.stdout);
    expect(result).toMatchObject({ run: id, id, release: 'shop@1.0.0', environment: 'staging', status: 'succeeded', redeploy: false });
    expect(result.steps.find((s: Step) => s.key === 'sign-off').result).toMatchObject({
      confirmations: [{ by: 'rita', role: 'release-manager', note: '1.0.0 runs' }],
    });
    expect(json('deployments', 'list').items).toMatchObject([
      { id: result.deployment, release: 'shop@1.0.0', environment: 'staging', status: 'succeeded' },
    ]);
    expect(await serviceState()).toMatchObject({
      version: '1.0.0',
      deployed: ['1.0.0'],
      migrations: { [`${id}:deploy:migrate`]: '1.0.0' },
    });
    const logs = run('run', 'logs', id).stdout;
    expect(logs).toContain(`[deploy] deploying 1.0.0 to http://127.0.0.1:${port} (attempt 1)\n`);
    expect(logs).toMatch(/\[verify system\] verified: GET http:\/\/127\.0\.0\.1:\d+\/health → 200 held for 2s/);
  });

  it('rolls back when verify fails: exit 1, the run rolled_back, a rolled_back deployment, the earlier version running again', async () => {
    const broken = spawnSync(process.execPath, ['fake-service.mjs', 'break', '1.1.0'], {
      cwd: dir,
      env: { ...process.env, PORT: String(port) },
      encoding: 'utf8',
    });
    expect(broken.status).toBe(0);
    expect(run('releases', 'create', 'shop', '1.1.0').code).toBe(0);
    const promoted = run('promote', 'shop@1.1.0', '--to', 'staging', '--wait', '--json');
    expect(promoted.code).toBe(1);
    const result = JSON.parse(promoted.stdout);
    rolledBackRun = result.id;
    expect(result).toMatchObject({
      status: 'rolled_back',
      error: expect.stringMatching(/^step verify failed: verification did not hold for 2s within 6s: last probe GET .* → 503$/),
    });
    expect(result.steps.map((s: Step) => [s.key, s.status])).toEqual([
      ['migrate', 'succeeded'],
      ['deploy', 'succeeded'],
      ['verify', 'failed'],
      ['sign-off', 'cancelled'],
      ['restore', 'succeeded'],
    ]);
    const [latest] = json('deployments', 'list', '--env', 'staging').items;
    expect(latest).toMatchObject({ id: result.deployment, release: 'shop@1.1.0', status: 'rolled_back' });
    expect(await serviceState()).toMatchObject({ version: '1.0.0', deployed: ['1.0.0', '1.1.0', '1.0.0'] });
  });

  it('blocks a promotion its gate says no to with exit 3 and the reasons; --at schedules one that passes', () => {
    const blocked = run('promote', 'shop@1.0.0', '--to', 'prod');
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toBe(
      'error: shop@1.0.0 cannot be promoted to prod now: 1 reason(s)\n  gate check approved: fail — 0 of 1 approval\n',
    );
    const asJson = run('promote', 'shop@1.0.0', '--to', 'prod', '--json');
    expect(asJson.code).toBe(3);
    expect(JSON.parse(asJson.stderr)).toEqual({
      error: {
        code: 'blocked',
        message: 'shop@1.0.0 cannot be promoted to prod now: 1 reason(s)',
        details: [{ message: 'gate check approved: fail — 0 of 1 approval' }],
      },
    });

    expect(run('approve', 'shop@1.0.0', '--env', 'prod', '--as', 'bob').code).toBe(0);
    const at = new Date(Date.now() + 86_400_000).toISOString();
    const scheduled = json('promote', 'shop@1.0.0', '--to', 'prod', '--at', at);
    expect(scheduled).toMatchObject({ run: scheduled.id, status: 'scheduled', scheduledAt: at });
    const cancelled = json('run', 'cancel', scheduled.id, '--reason', 'not this week', '--as', 'bob');
    expect(cancelled).toMatchObject({ status: 'cancelled', error: 'cancelled by bob: not this week', deployment: null });
  });

  it('refuses bad input with a clear message and exit code, never a stack trace', () => {
    expect(run('releases', 'create', 'shop', '1.2.0').code).toBe(0);
    expect(run('releases', 'set-status', 'shop@1.2.0', 'cancelled').code).toBe(0);
    const cases: [string[], number, string][] = [
      [['promote', 'shop@9.9.9', '--to', 'staging'], 1, "error: release 'shop@9.9.9' not found"],
      [['promote', 'shop@1.2.0', '--to', 'staging'], 1, 'error: release shop@1.2.0 is cancelled and cannot be promoted'],
      [
        ['promote', 'shop@1.0.0', '--to', 'staging', '--at', 'tomorrow'],
        1,
        "error: at: 'tomorrow' is not an ISO-8601 time such as 2026-12-01T09:00:00Z",
      ],
      [
        ['step', 'confirm', succeededRun, 'sign-off', '--role', 'release-manager'],
        1,
        `error: step sign-off of run ${succeededRun} is succeeded, not waiting for a person`,
      ],
      [
        ['step', 'confirm', succeededRun, 'smoke'],
        1,
        `error: run ${succeededRun} has no step 'smoke' (steps: migrate, deploy, verify, sign-off, restore)`,
      ],
      [['run', 'retry', rolledBackRun], 1, 'it was rolled back; promote the release again to start over'],
    ];
    for (const [args, code, message] of cases) {
      const r = run(...args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(STACK_TRACE);
    }
    expect(JSON.parse(run('promote', 'shop@9.9.9', '--to', 'staging', '--json').stderr)).toMatchObject({
      error: { code: 'not_found', message: "release 'shop@9.9.9' not found" },
    });
    // Nothing above left a run behind.
    expect(json('runs').items.map((r: { status: string }) => r.status)).toEqual(['cancelled', 'rolled_back', 'succeeded']);
  });

  it('refuses to promote into an environment that is not on the product’s track', () => {
    const other = mkdtempSync(join(tmpdir(), 'railyard-track-'));
    try {
      writeFileSync(
        join(other, 'railyard.yaml'),
        'environments:\n  - { key: sandbox, tier: dev }\n  - { key: staging, tier: staging }\ntracks:\n  - { key: main, environments: [staging] }\nproducts:\n  - { key: shop, track: main }\n',
      );
      const there = (...args: string[]) => railyard(args, { cwd: other });
      expect(there('apply', '-f', 'railyard.yaml').code).toBe(0);
      expect(there('releases', 'create', 'shop', '1.0.0').code).toBe(0);
      const r = there('promote', 'shop@1.0.0', '--to', 'sandbox');
      expect(r).toMatchObject({ code: 1, stderr: "error: environment 'sandbox' is not on shop's track 'main' (staging)\n" });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('shows the same runs through a server (--server) as from the database, and streams a run as server-sent events', async () => {
    server = await startServer(['--db', join(dir, 'railyard.db')], dir);
    const remote = (...args: string[]) => run('--server', server?.url ?? '', ...args);
    const viaServer = remote('run', 'show', rolledBackRun, '--json');
    expect(viaServer.code).toBe(0);
    expect(JSON.parse(viaServer.stdout)).toEqual(json('run', 'show', rolledBackRun));

    const blocked = remote('promote', 'shop@1.1.0', '--to', 'prod');
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toContain('gate check approved: fail — 0 of 1 approval');
    const notWaiting = remote('step', 'confirm', succeededRun, 'sign-off', '--role', 'release-manager');
    expect(notWaiting.code).toBe(1);
    expect(notWaiting.stderr).toBe(`error: step sign-off of run ${succeededRun} is succeeded, not waiting for a person\n`);

    const events = await (await fetch(`${server.url}/api/v1/runs/${succeededRun}/events`)).text();
    const kinds = [...events.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(kinds[0]).toBe('log');
    expect(kinds.slice(-2)).toEqual(['run', 'end']);
    expect(events).toContain('data: {"status":"succeeded"}');
  });
});

describe('the acceptance example of issue 6, as written', () => {
  let dir: string;
  let health: Server;
  const run = (...args: string[]) => railyard(args, { cwd: dir });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-acceptance-'));
    health = createServer((_req, res) => res.end('ok'));
    // The literal port when it is free; else a free one, put in its place.
    const port = await new Promise<number>((resolve) => {
      health.once('error', () => health.listen(0, '127.0.0.1', () => resolve((health.address() as { port: number }).port)));
      health.listen(9999, '127.0.0.1', () => resolve(9999));
    });
    // The example promotes shop, so the workspace declares it.
    writeFileSync(
      join(dir, 'railyard.yaml'),
      `${ACCEPTANCE_YAML.replace('127.0.0.1:9999', `127.0.0.1:${port}`)}products:\n  - key: shop\n`,
    );
  });
  afterAll(async () => {
    await Promise.all([...children].map(stopChild));
    await new Promise((resolve) => health.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('promote shop@1.0.0 --to staging --wait --json prints {"run", "status": "succeeded"}, exits 0, and deployments list --json shows it', async () => {
    expect(run('apply', '-f', 'railyard.yaml').code).toBe(0);
    expect(run('releases', 'create', 'shop', '1.0.0').code).toBe(0);
    // Not railyard(): the health endpoint the verify step polls is served by this process.
    const promoted = await railyardLater(['promote', 'shop@1.0.0', '--to', 'staging', '--wait', '--json'], dir);
    expect(promoted.code).toBe(0);
    const result = JSON.parse(promoted.stdout);
    expect(result).toMatchObject({ run: expect.any(String), status: 'succeeded' });
    expect(result.steps.find((s: Step) => s.key === 'verify').result.heldMs).toBeGreaterThanOrEqual(5000);
    const deployments = JSON.parse(run('deployments', 'list', '--json').stdout);
    expect(deployments.items).toMatchObject([
      { id: result.deployment, product: 'shop', environment: 'staging', version: '1.0.0', status: 'succeeded' },
    ]);
    expect(run('run', 'logs', result.run, '--step', 'deploy').stdout).toBe('[deploy] deploying shop 1.0.0 to staging\n');
  });

  it('without --wait, promote returns at once: queued for a worker to admit, scheduled with --at', () => {
    const promote = (...extra: string[]) => JSON.parse(run('promote', 'shop@1.0.0', '--to', 'staging', '--json', ...extra).stdout);
    const first = promote();
    expect(first).toMatchObject({ run: first.id, status: 'queued' });
    expect(promote()).toMatchObject({ status: 'queued' });
    expect(promote('--at', new Date(Date.now() + 3_600_000).toISOString())).toMatchObject({ status: 'scheduled' });
  });
});

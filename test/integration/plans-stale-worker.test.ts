import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Services, startServices } from '../../src/platform/container.js';
import { railyardAsync, startWorkerProcess, type WorkerProcess } from '../support/cli.js';
import { DIALECTS, freshDatabaseUrl } from '../support/databases.js';
import { childrenOf, eventually, type Ledger, processAlive, startLedger, writeEffectScript } from '../support/plans.js';

/**
 * The Plans issue's second reliability test: a worker executing a step is paused (SIGSTOP) past its lease,
 * another worker takes the step over, and when the first one is continued (SIGCONT) its writes are refused —
 * the fencing token it holds is no longer the step's. A step that is not idempotent is not taken over: it waits
 * for a person, and the stale worker cannot resolve it either.
 */
const STEP_SECONDS = 3;

function config(effect: string, port: number): string {
  const run = JSON.stringify(['bash', effect, String(port), String(STEP_SECONDS)]);
  return `plans:
  - key: safe
    steps:
      - { key: deploy, run: ${run}, idempotent: true }
  - key: unsafe
    steps:
      - { key: migrate, run: ${run} }
      - { key: after, needs: [migrate], run: ["true"] }
environments:
  - { key: safe-env, tier: staging, plan: safe }
  - { key: unsafe-env, tier: staging, plan: unsafe }
products:
  - key: shop
`;
}

describe.each(DIALECTS)('a worker paused past its lease (%s)', (dialect) => {
  let dir: string;
  let dbUrl: string;
  let dropDb: () => Promise<void> = async () => {};
  let ledger: Ledger;
  let services: Services;
  let workers: WorkerProcess[] = [];
  let version = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'railyard-stale-'));
    const fresh = await freshDatabaseUrl(dialect);
    dbUrl = dialect === 'sqlite' ? join(dir, 'railyard.db') : fresh.url;
    dropDb = fresh.drop;
    ledger = await startLedger();
    services = await startServices(dbUrl);
    await services.config.apply(config(writeEffectScript(dir), ledger.port), 'railyard.yaml', { dryRun: false }, 'admin');
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop(2_000)));
    workers = [];
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop(1_000)));
    await services?.close();
    await ledger?.close();
    await dropDb();
    rmSync(dir, { recursive: true, force: true });
  });

  const startWorker = async () => {
    const w = await startWorkerProcess(dbUrl, ['--lease', '1s', '--concurrency', '4', '--grace', '1s'], dir);
    workers.push(w);
    return w;
  };
  const stepRow = (runId: string, key: string) =>
    services.database.db.selectFrom('step_runs').selectAll().where('run_id', '=', runId).where('key', '=', key).executeTakeFirstOrThrow();
  const cli = (...args: string[]) => railyardAsync([...args, '--db', dbUrl, '--as', 'bob'], { cwd: dir });

  /**
   * SIGSTOPs the worker at a moment it holds no transaction. Stopped inside one it keeps its locks (on SQLite the
   * whole database's write lock) until it is continued, so nobody could take its step over meanwhile: no lease
   * helps with that, and it is not what this test is about.
   */
  async function pauseOutsideTransaction(w: WorkerProcess): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      w.process.kill('SIGSTOP');
      if (!(await someoneInTransaction())) return;
      w.process.kill('SIGCONT');
      await new Promise((resolve) => setTimeout(resolve, 5 + (tries % 20)));
    }
    throw new Error('the worker was inside a transaction every time it was paused');
  }
  async function someoneInTransaction(): Promise<boolean> {
    if (dialect === 'sqlite') {
      const probe = new Database(dbUrl, { timeout: 100 });
      try {
        probe.exec('begin immediate; rollback');
        return false;
      } catch {
        return true;
      } finally {
        probe.close();
      }
    }
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null`.execute(services.database.db);
    return (rows[0]?.n ?? 0) > 0;
  }

  /**
   * Worker A claims the run's step and has its effect applied; A is paused; worker B starts and, once A's lease
   * has run out, reaps the step (`tookOver` says when that is done). A's own command (in its own process group,
   * so not paused) finishes meanwhile; then A is continued. Returns both workers and when A was paused.
   */
  async function pauseDuringStep(runId: string, key: string, tookOver: (b: WorkerProcess) => Promise<boolean>) {
    const a = await startWorker();
    const idempotencyKey = `${runId}:deploy:${key}`;
    await eventually(
      async () => (await stepRow(runId, key)).lease_owner === a.id && ledger.entries.has(idempotencyKey),
      'A to run the step',
    );
    // A has written the first line of output while it held the lease.
    await eventually(async () => (await services.runs.logs(runId, { step: key, limit: 10 })).length > 0, 'A’s first output');
    const [command] = childrenOf(a.pid);
    await pauseOutsideTransaction(a);
    const pausedAt = new Date().toISOString();
    const b = await startWorker();
    await eventually(() => tookOver(b), 'B to take the step over', 20_000);
    await eventually(async () => command !== undefined && !processAlive(command), 'A’s command to finish', 10_000);
    a.process.kill('SIGCONT');
    return { a, b, pausedAt };
  }

  it('an idempotent step is taken over and run again; the paused worker’s writes are refused', async () => {
    const ref = `shop@1.0.${version++}`;
    await services.releases.create({ product: 'shop', version: ref.split('@')[1] as string }, 'admin');
    const run = await services.runs.promote({ release: ref, environment: 'safe-env' }, 'alice');
    const { a, b, pausedAt } = await pauseDuringStep(
      run.id,
      'deploy',
      async (b) => (await stepRow(run.id, 'deploy')).lease_owner === b.id,
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${workers.map((w) => w.output()).join('\n')}`);
    });
    const done = await services.runs.waitFor(run.id, 20_000);
    expect(done.status).toBe('succeeded');

    // A comes back, finds it no longer holds the step, and says so; nothing it tries to write lands. (Its overdue
    // heartbeat usually runs first and is refused, so it drops the attempt's outcome and output without trying to
    // write them; engine-leases.int.test.ts has the engine refuse a stale completion and output outright.)
    await eventually(async () => /lost step deploy|outcome of step deploy .* was refused/.test(a.output()), 'A to notice', 15_000);
    const row = await stepRow(run.id, 'deploy');
    expect(row).toMatchObject({ status: 'succeeded', attempt: 1, lost_leases: 1, lease_token: 2, lease_owner: null });
    const events = await services.audit.list({ subjectType: 'step', subjectId: row.id, limit: 20 });
    expect(events.map((e) => [e.action, e.actor]).reverse()).toEqual([
      ['step.started', a.id],
      ['step.lease_expired', 'railyard'],
      ['step.started', b.id],
      ['step.succeeded', b.id],
    ]);
    const byA = await services.database.db
      .selectFrom('audit_events')
      .select('action')
      .where('actor', '=', a.id)
      .where('at', '>', pausedAt)
      .execute();
    expect(byA).toEqual([]);
    const output = (await services.runs.logs(run.id, { limit: 100 })).map((l) => l.text).join('');
    expect(output).toContain(`done by worker pid ${b.pid}`);
    expect(output).not.toContain(`done by worker pid ${a.pid}`);
    const outbox = await services.database.db.selectFrom('outbox').select('event').where('subject_id', '=', run.id).orderBy('id').execute();
    expect(outbox.map((e) => e.event)).toEqual(['run.started', 'run.succeeded']);
    // The effect ran twice, under one key: applied once.
    expect(ledger.entries.get(`${run.id}:deploy:deploy`)?.calls.map((c) => c.pid)).toEqual([String(a.pid), String(b.pid)]);
    // A is still a working worker: it stops gracefully.
    expect(await a.stop()).toBe(0);
  }, 60_000);

  it('a step that is not idempotent waits for a person; the paused worker cannot resolve it; step confirm does', async () => {
    const run = await promoteUnsafe();
    const { a } = await pauseDuringStep(run.id, 'migrate', async () => (await stepRow(run.id, 'migrate')).status === 'needs_attention');
    await eventually(async () => /lost step migrate|outcome of step migrate .* was refused/.test(a.output()), 'A to notice', 15_000);
    // A's command did finish (its effect happened), yet the step still needs a person and was not run again.
    expect(await stepRow(run.id, 'migrate')).toMatchObject({ status: 'needs_attention', lease_token: 1 });
    expect((await services.runs.show(run.id)).status).toBe('needs_attention');
    expect(ledger.entries.get(`${run.id}:deploy:migrate`)?.calls).toHaveLength(1);

    const confirmed = await cli('step', 'confirm', run.id, 'migrate', '--note', 'schema is at v42', '--json');
    expect(confirmed.stderr).toBe('');
    expect(confirmed.code).toBe(0);
    expect(JSON.parse(confirmed.stdout).steps[0]).toMatchObject({
      status: 'succeeded',
      result: { resolvedBy: 'bob', note: 'schema is at v42' },
    });
    const done = await services.runs.waitFor(run.id, 20_000);
    expect(done.status).toBe('succeeded');
    expect(ledger.entries.get(`${run.id}:deploy:migrate`)?.calls).toHaveLength(1);
  }, 60_000);

  it('a step that is not idempotent and needs attention runs again when a person retries the run', async () => {
    const run = await promoteUnsafe();
    await pauseDuringStep(run.id, 'migrate', async () => (await stepRow(run.id, 'migrate')).status === 'needs_attention');
    const retried = await cli('run', 'retry', run.id, '--json');
    expect(retried.code).toBe(0);
    const done = await services.runs.waitFor(run.id, 20_000);
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s) => [s.key, s.status, s.attempt])).toEqual([
      ['migrate', 'succeeded', 1],
      ['after', 'succeeded', 1],
    ]);
    expect(ledger.entries.get(`${run.id}:deploy:migrate`)?.calls).toHaveLength(2);
  }, 60_000);

  async function promoteUnsafe() {
    const v = `2.0.${version++}`;
    await services.releases.create({ product: 'shop', version: v }, 'admin');
    return services.runs.promote({ release: `shop@${v}`, environment: 'unsafe-env' }, 'alice');
  }
});

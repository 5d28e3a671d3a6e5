import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/support/databases.js';
import { eventually, openPlanHarness, type PlanHarness, processAlive } from '../../../test/support/plans.js';

const argv = (...args: string[]) => JSON.stringify(args);

function config(dir: string): string {
  return `plans:
  - key: signoff
    steps:
      - { key: deploy, run: ${argv('sh', '-c', 'echo deploying $RAILYARD_VERSION')} }
      - { key: checklist, needs: [deploy], manual: { instructions: "Check the dashboards", role: ops } }
      - { key: finish, needs: [checklist], run: ${argv('true')} }
    rollback:
      - { key: undo, run: ${argv('sh', '-c', 'echo undoing $RAILYARD_VERSION')} }
  - key: approved
    steps:
      - { key: sign-off, approval: { min: 2 } }
      - { key: deploy, needs: [sign-off], run: ${argv('true')} }
  - key: hangs
    steps:
      - { key: deploy, run: ${argv('sh', '-c', 'sleep 30 & echo $! > "$PIDFILE"; wait')}, env: { PIDFILE: "${join(dir, 'cancel.pid')}" } }
  - key: gated-on-file
    steps:
      - { key: prepare, run: ${argv('sh', '-c', 'echo prepared')} }
      - { key: deploy, needs: [prepare], run: ${argv('sh', '-c', 'echo attempt $RAILYARD_ATTEMPT; test -f "$FLAG"')}, env: { FLAG: "${join(dir, 'flag')}" }, onFailure: stop }
      - { key: after, needs: [deploy], run: ${argv('true')} }
  - key: careful-rollback
    steps:
      - { key: deploy, run: ${argv('false')} }
    rollback:
      - { key: restore, manual: "Restore the database snapshot" }
      - { key: verify-restore, needs: [restore], run: ${argv('sh', '-c', 'echo restored')} }
environments:
  - { key: careful-env, tier: staging, plan: careful-rollback }
  - { key: signoff-env, tier: staging, plan: signoff }
  - { key: approval-env, tier: staging, plan: approved }
  - { key: hang-env, tier: staging, plan: hangs }
  - { key: retry-env, tier: staging, plan: gated-on-file }
products:
  - key: shop
  - key: api
  - key: web
  - key: hanger
  - key: flagged
`;
}

describe.each(DIALECTS)('people in the loop (%s)', (dialect) => {
  let h: PlanHarness;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-people-'));
    h = await openPlanHarness(dialect, config(dir));
    // A short lease: a worker notices a cancelled step at its next heartbeat (a third of the lease).
    await h.startWorker({ leaseMs: 1_500 });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a manual step makes the run wait for a person and keeps the slot; confirming it (in its role) carries on', async () => {
    await h.release('shop@1.0.0');
    await h.release('shop@1.1.0');
    const first = await h.promote('shop@1.0.0', 'signoff-env');
    const waiting = await h.until(first.id, (r) => r.status === 'awaiting', 'the run to await a person');
    expect(waiting.steps.map((s) => [s.key, s.status])).toEqual([
      ['deploy', 'succeeded'],
      ['checklist', 'waiting'],
      ['finish', 'pending'],
      ['undo', 'pending'],
    ]);
    expect(waiting.steps[1]?.instructions).toBe('Check the dashboards');

    // The second promotion of the product queues behind the run waiting for a person.
    const second = await h.promote('shop@1.1.0', 'signoff-env');
    expect(second.status).toBe('queued');
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.s.runs.show(second.id)).status).toBe('queued');

    await expect(h.s.runs.confirm(first.id, 'finish', 'bob', { role: 'ops' })).rejects.toMatchObject({
      code: 'conflict',
      message: `step finish of run ${first.id} is pending, not waiting for a person`,
    });
    await expect(h.s.runs.confirm(first.id, 'nope', 'bob')).rejects.toMatchObject({ code: 'not_found' });
    await expect(h.s.runs.confirm(first.id, 'checklist', 'bob')).rejects.toMatchObject({
      code: 'bad_request',
      message: 'step checklist is confirmed in role \'ops\': give that role (CLI --role ops, API "role") if it is yours',
    });
    await h.s.runs.confirm(first.id, 'checklist', 'bob', { role: 'ops', note: 'graphs are flat' });
    const done = await h.finished(first.id);
    expect(done.status).toBe('succeeded');
    expect(done.steps[1]?.result).toMatchObject({ confirmations: [{ by: 'bob', role: 'ops', note: 'graphs are flat' }] });
    await expect(h.s.runs.confirm(first.id, 'checklist', 'carol', { role: 'ops' })).rejects.toMatchObject({ code: 'conflict' });

    // Only now does the second run start.
    const next = await h.until(second.id, (r) => r.status === 'awaiting', 'the queued run to start and await its checklist');
    expect(Date.parse(next.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(done.finishedAt ?? ''));
    const outbox = await h.s.database.db.selectFrom('outbox').select('event').where('subject_id', '=', first.id).orderBy('id').execute();
    expect(outbox.map((e) => e.event)).toEqual(['run.started', 'run.awaiting', 'run.succeeded']);
    await h.s.runs.cancel(second.id, 'alice', 'superseded');
  });

  it('an approval refuses the promoter (separation of duties) and counts each approver once', async () => {
    await h.release('api@2.0.0');
    const run = await h.promote('api@2.0.0', 'approval-env', 'alice');
    await h.until(run.id, (r) => r.status === 'awaiting', 'the run to await approvals');
    await expect(h.s.runs.confirm(run.id, 'sign-off', 'alice')).rejects.toMatchObject({
      code: 'blocked',
      message: 'alice promoted this run and may not approve its step sign-off (separation of duties)',
    });
    const once = await h.s.runs.confirm(run.id, 'sign-off', 'bob');
    expect(once.steps[0]).toMatchObject({ status: 'waiting' });
    await expect(h.s.runs.confirm(run.id, 'sign-off', 'bob')).rejects.toMatchObject({
      code: 'conflict',
      message: 'bob has already confirmed step sign-off',
    });
    await h.s.runs.confirm(run.id, 'sign-off', 'carol');
    const done = await h.finished(run.id);
    expect(done.status).toBe('succeeded');
    expect((done.steps[0]?.result as { confirmations: { by: string }[] } | undefined)?.confirmations.map((c) => c.by)).toEqual([
      'bob',
      'carol',
    ]);
    const actors = (await h.s.audit.list({ subjectType: 'step', subjectId: done.steps[0]?.id, limit: 10 }))
      .filter((e) => e.action === 'step.confirmed')
      .map((e) => e.actor);
    expect(actors.sort()).toEqual(['bob', 'carol']);
  });

  it('rejecting a manual step fails it and rolls back', async () => {
    await h.release('web@3.0.0');
    const run = await h.promote('web@3.0.0', 'signoff-env');
    await h.until(run.id, (r) => r.status === 'awaiting', 'the run to await a person');
    await h.s.runs.reject(run.id, 'checklist', 'bob', 'error rate doubled');
    const done = await h.finished(run.id);
    expect(done).toMatchObject({ status: 'rolled_back', error: 'step checklist failed: rejected by bob: error rate doubled' });
    expect(done.steps.map((s) => [s.phase, s.key, s.status])).toEqual([
      ['deploy', 'deploy', 'succeeded'],
      ['deploy', 'checklist', 'failed'],
      ['deploy', 'finish', 'cancelled'],
      ['rollback', 'undo', 'succeeded'],
    ]);
    expect(await h.output(run.id, 'undo')).toBe('undoing 3.0.0\n');
    const [deployment] = await h.s.deployments.list({ product: 'web', limit: 1 });
    expect(deployment).toMatchObject({ status: 'rolled_back', version: '3.0.0' });
    await expect(h.s.runs.reject(run.id, 'checklist', 'bob', 'again')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('a rollback step that waits for a person: the run awaits during its rollback, announced once, and rolls back when confirmed', async () => {
    await h.release('web@3.1.0');
    const run = await h.promote('web@3.1.0', 'careful-env');
    const waiting = await h.until(run.id, (r) => r.status === 'awaiting', 'the rollback to await a person');
    expect(waiting.steps.map((s) => [s.phase, s.key, s.status])).toEqual([
      ['deploy', 'deploy', 'failed'],
      ['rollback', 'restore', 'waiting'],
      ['rollback', 'verify-restore', 'pending'],
    ]);
    // Confirming the rollback step carries the rollback on; it does not start the rollback over.
    await h.s.runs.confirm(run.id, 'restore', 'bob');
    const done = await h.finished(run.id);
    expect(done).toMatchObject({ status: 'rolled_back', error: 'step deploy failed: command exited with status 1' });
    expect(await h.output(run.id, 'verify-restore')).toBe('restored\n');
    const outbox = await h.s.database.db.selectFrom('outbox').select('event').where('subject_id', '=', run.id).orderBy('id').execute();
    expect(outbox.map((e) => e.event)).toEqual(['run.started', 'run.rolling_back', 'run.awaiting', 'run.rolled_back']);
    const audit = await h.s.audit.list({ subjectType: 'run', subjectId: run.id, limit: 20 });
    // The rollback began once (the later run.rolling_back is the status change back from awaiting).
    const began = audit.filter((e) => e.action === 'run.rolling_back' && (e.after as { failedStep?: string }).failedStep);
    expect(began.map((e) => e.after)).toEqual([{ failedStep: 'deploy', error: 'command exited with status 1' }]);
  });

  it('cancelling a run kills its running command and everything the command started', async () => {
    await h.release('hanger@1.0.0');
    await h.release('hanger@1.0.1');
    const run = await h.promote('hanger@1.0.0', 'hang-env');
    const queued = await h.promote('hanger@1.0.1', 'hang-env');
    const pidFile = join(dir, 'cancel.pid');
    const grandchild = await eventually(async () => existsSync(pidFile) && Number(readFileSync(pidFile, 'utf8')), 'the command to start');
    expect(processAlive(grandchild)).toBe(true);
    rmSync(pidFile);

    const cancelled = await h.s.runs.cancel(run.id, 'alice', 'wrong build');
    expect(cancelled).toMatchObject({ status: 'cancelled', error: 'cancelled by alice: wrong build', deployment: null });
    expect(cancelled.steps[0]?.status).toBe('cancelled');
    await eventually(async () => !processAlive(grandchild), 'the command’s own child to be killed', 5_000);
    await expect(h.s.runs.cancel(run.id, 'alice')).rejects.toMatchObject({
      code: 'conflict',
      message: `run ${run.id} has already cancelled; there is nothing to cancel`,
    });

    // The queued promotion got the slot; cancelling it kills its command too.
    const next = await eventually(async () => existsSync(pidFile) && Number(readFileSync(pidFile, 'utf8')), 'the next run to start');
    expect((await h.s.runs.show(queued.id)).status).toBe('running');
    await h.s.runs.cancel(queued.id, 'alice');
    await eventually(async () => !processAlive(next), 'the second command to be killed', 5_000);
    expect(await h.s.deployments.list({ product: 'hanger', limit: 5 })).toEqual([]);
  });

  it('retry runs a failed run again from its failed step; resume skips it; succeeded steps are not repeated', async () => {
    await h.release('flagged@1.0.0');
    const run = await h.promote('flagged@1.0.0', 'retry-env');
    const failed = await h.finished(run.id);
    expect(failed).toMatchObject({ status: 'failed', error: 'step deploy failed: command exited with status 1' });
    await h.s.runs.resume(run.id, 'bob', 'deployed by hand');
    const resumed = await h.finished(run.id);
    expect(resumed.status).toBe('succeeded');
    expect(resumed.steps.map((s) => [s.key, s.status])).toEqual([
      ['prepare', 'succeeded'],
      ['deploy', 'skipped'],
      ['after', 'succeeded'],
    ]);
    await expect(h.s.runs.retry(run.id, 'bob')).rejects.toMatchObject({ code: 'conflict' });

    await h.release('flagged@1.1.0');
    const second = await h.finished((await h.promote('flagged@1.1.0', 'retry-env')).id);
    expect(second.status).toBe('failed');
    writeFileSync(join(dir, 'flag'), '');
    const retried = await h.s.runs.retry(second.id, 'bob');
    expect(['queued', 'running']).toContain(retried.status);
    const done = await h.finished(second.id);
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s) => [s.key, s.status, s.attempt])).toEqual([
      ['prepare', 'succeeded', 1],
      ['deploy', 'succeeded', 1],
      ['after', 'succeeded', 1],
    ]);
    expect(await h.output(second.id, 'prepare')).toBe('prepared\n');
    const deployments = await h.s.deployments.list({ product: 'flagged', limit: 5 });
    expect(deployments.map((d) => [d.version, d.status])).toEqual([
      ['1.1.0', 'succeeded'],
      ['1.1.0', 'failed'],
      ['1.0.0', 'succeeded'],
      ['1.0.0', 'failed'],
    ]);
  });
});

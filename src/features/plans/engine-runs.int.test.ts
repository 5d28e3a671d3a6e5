import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/support/databases.js';
import { ACCEPTANCE_YAML } from '../../../test/support/plan-fixtures.js';
import { type FakeService, openPlanHarness, type PlanHarness, startFakeService } from '../../../test/support/plans.js';

const argv = (...args: string[]) => JSON.stringify(args);

/** Plans for the other tests; each test promotes its own product into its own environment, so none waits for another. */
function config(svc: string, dir: string): string {
  const [plans, environments] = ACCEPTANCE_YAML.replace('http://127.0.0.1:9999', svc).split('environments:\n');
  return `${plans}${morePlans(svc, dir)}environments:
${environments}  - { key: verify-env, tier: staging, plan: verify-fails }
  - { key: stop-env, tier: staging, plan: stops }
  - { key: continue-env, tier: staging, plan: continues }
  - { key: dag-env, tier: staging, plan: dag }
  - { key: retry-env, tier: staging, plan: flaky }
  - { key: quick-env, tier: staging, plan: quick }
  - { key: prod, tier: prod, plan: quick }
tracks:
  - { key: early, environments: [staging, quick-env] }
products:
  - key: shop
  - key: verified
  - key: stopper
  - key: carrier
  - key: dagger
  - key: flaky
  - key: quick
  - key: tracked
    track: early
`;
}

function morePlans(svc: string, dir: string): string {
  return `  - key: verify-fails
    steps:
      - { key: deploy, run: ${argv('sh', '-c', 'echo deploying $RAILYARD_VERSION')} }
      - key: verify
        needs: [deploy]
        verify: { http: { url: "${svc}/down", expectStatus: 200 }, timeout: 1s, interval: 200ms }
        onFailure: rollback
    rollback:
      - { key: undo, run: ${argv('sh', '-c', 'echo rolling back $RAILYARD_VERSION')} }
  - key: stops
    steps:
      - { key: migrate, run: ${argv('sh', '-c', 'echo migration failed >&2; exit 3')}, onFailure: stop }
      - { key: deploy, needs: [migrate], run: ${argv('true')} }
    rollback:
      - { key: undo, run: ${argv('true')} }
  - key: continues
    steps:
      - { key: warm-cache, run: ${argv('false')}, onFailure: continue }
      - { key: deploy, needs: [warm-cache], run: ${argv('sh', '-c', 'echo deployed')} }
  - key: dag
    steps:
      - { key: build, run: ${argv('true')} }
      - { key: eu, needs: [build], run: ${argv('sleep', '0.4')} }
      - { key: us, needs: [build], run: ${argv('sleep', '0.4')} }
      - { key: soak, needs: [eu, us], wait: 300ms }
      - { key: announce, needs: [soak], notify: { message: "$\{RAILYARD_PRODUCT} $\{RAILYARD_VERSION} is in $\{RAILYARD_ENV}", to: [ops] } }
      - { key: done, needs: [announce], run: ${argv('true')} }
  - key: flaky
    steps:
      - key: deploy
        run: ${argv('sh', '-c', 'echo attempt $RAILYARD_ATTEMPT; n=$(cat "$COUNTER" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$COUNTER"; [ $n -ge "$PASS_AT" ]')}
        env: { COUNTER: "${join(dir, 'counter')}", PASS_AT: 3 }
        retries: 3
        backoff: 200ms
      - key: hopeless
        needs: [deploy]
        run: ${argv('sh', '-c', 'echo attempt $RAILYARD_ATTEMPT; exit 1')}
        retries: 1
        backoff: 100ms
        onFailure: stop
  - key: quick
    steps:
      - { key: deploy, run: ${argv('sh', '-c', 'echo $RAILYARD_PRODUCT@$RAILYARD_VERSION')} }
`;
}

describe.each(DIALECTS)('runs of deployment plans (%s)', (dialect) => {
  let h: PlanHarness;
  let svc: FakeService;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-runs-'));
    svc = await startFakeService((req, _body, res) => {
      res.statusCode = req.url === '/health' ? 200 : 503;
      res.end(req.url === '/health' ? 'ok\n' : 'unavailable\n');
    });
    h = await openPlanHarness(dialect, config(svc.url, dir));
    await h.startWorker({ leaseMs: 2_000 });
  });
  afterAll(async () => {
    await h?.close();
    await svc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the acceptance example: deploys, verifies the health endpoint for 5 seconds, records the deployment', async () => {
    await h.release('shop@1.0.0');
    const queued = await h.promote('shop@1.0.0', 'staging');
    expect(queued).toMatchObject({ release: 'shop@1.0.0', environment: 'staging', plan: 'standard', promoter: 'alice' });
    const run = await h.finished(queued.id, 20_000);
    expect(run.status).toBe('succeeded');
    expect(await h.output(run.id, 'deploy')).toBe('deploying shop 1.0.0 to staging\n');
    const verify = run.steps.find((s) => s.key === 'verify');
    expect(verify).toMatchObject({ status: 'succeeded', attempt: 1 });
    expect((verify?.result as { heldMs: number } | undefined)?.heldMs).toBeGreaterThanOrEqual(5_000);
    expect(svc.requests.filter((r) => r.url === '/health').length).toBeGreaterThanOrEqual(6);
    expect(run.steps.find((s) => s.key === 'undo')?.status).toBe('skipped');

    const [deployment] = await h.s.deployments.list({ product: 'shop', environment: 'staging', limit: 5 });
    expect(deployment).toMatchObject({ release: 'shop@1.0.0', status: 'succeeded', actor: 'alice', id: run.deployment });
    expect((await h.s.releases.show('shop@1.0.0')).status).toBe('in_progress');
    const actions = (await h.s.audit.list({ subjectType: 'run', subjectId: run.id, limit: 20 })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['run.created', 'run.started', 'run.succeeded']));
  }, 30_000);

  it('rolls back when verification fails: the rollback steps run and the deployment is recorded as rolled_back', async () => {
    await h.release('verified@2.0.0');
    const run = await h.finished((await h.promote('verified@2.0.0', 'verify-env')).id);
    expect(run.status).toBe('rolled_back');
    expect(run.error).toMatch(/^step verify failed: verification did not hold for 0 ms within 1s: last probe GET .*\/down → 503$/);
    expect(run.steps.map((s) => [s.phase, s.key, s.status])).toEqual([
      ['deploy', 'deploy', 'succeeded'],
      ['deploy', 'verify', 'failed'],
      ['rollback', 'undo', 'succeeded'],
    ]);
    expect(await h.output(run.id, 'undo')).toBe('rolling back 2.0.0\n');
    const [deployment] = await h.s.deployments.list({ product: 'verified', limit: 5 });
    expect(deployment).toMatchObject({ status: 'rolled_back', version: '2.0.0', id: run.deployment });
  });

  it('onFailure: stop fails the run without rolling back; dependents are cancelled and a failed deployment is recorded', async () => {
    await h.release('stopper@1.0.0');
    const run = await h.finished((await h.promote('stopper@1.0.0', 'stop-env')).id);
    expect(run).toMatchObject({ status: 'failed', error: 'step migrate failed: command exited with status 3' });
    expect(run.steps.map((s) => [s.phase, s.key, s.status])).toEqual([
      ['deploy', 'migrate', 'failed'],
      ['deploy', 'deploy', 'cancelled'],
      ['rollback', 'undo', 'skipped'],
    ]);
    expect(await h.output(run.id, 'migrate')).toBe('migration failed\n');
    const [deployment] = await h.s.deployments.list({ product: 'stopper', limit: 5 });
    expect(deployment?.status).toBe('failed');
  });

  it('onFailure: continue carries on past a failed step and the run succeeds', async () => {
    await h.release('carrier@1.0.0');
    const run = await h.finished((await h.promote('carrier@1.0.0', 'continue-env')).id);
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s) => [s.key, s.status, s.error])).toEqual([
      ['warm-cache', 'failed', 'command exited with status 1'],
      ['deploy', 'succeeded', null],
    ]);
  });

  it('runs independent steps in parallel, waits, notifies through the outbox, and starts a step only after its needs', async () => {
    await h.release('dagger@1.0.0');
    const run = await h.finished((await h.promote('dagger@1.0.0', 'dag-env')).id);
    expect(run.status).toBe('succeeded');
    const at = (key: string, field: 'startedAt' | 'finishedAt') => Date.parse(run.steps.find((s) => s.key === key)?.[field] ?? '');
    // eu and us overlap; soak starts after both and lasts its 300 ms.
    expect(at('us', 'startedAt')).toBeLessThan(at('eu', 'finishedAt'));
    expect(at('eu', 'startedAt')).toBeLessThan(at('us', 'finishedAt'));
    expect(Math.min(at('eu', 'startedAt'), at('us', 'startedAt'))).toBeGreaterThanOrEqual(at('build', 'finishedAt'));
    const soakReady = Math.max(at('eu', 'finishedAt'), at('us', 'finishedAt'));
    expect(at('soak', 'startedAt') - soakReady).toBeGreaterThanOrEqual(290);
    expect(at('done', 'startedAt')).toBeGreaterThanOrEqual(at('soak', 'finishedAt'));
    const notify = await h.s.database.db
      .selectFrom('outbox')
      .selectAll()
      .where('event', '=', 'plan.notify')
      .where('subject_id', '=', run.id)
      .execute();
    expect(notify.map((n) => JSON.parse(n.payload))).toEqual([
      {
        run: run.id,
        step: 'announce',
        message: 'dagger 1.0.0 is in dag-env',
        to: ['ops'],
        release: 'dagger@1.0.0',
        environment: 'dag-env',
      },
    ]);
    const events = await h.s.database.db.selectFrom('outbox').select('event').where('subject_id', '=', run.id).orderBy('id').execute();
    expect(events.map((e) => e.event)).toEqual(['run.started', 'plan.notify', 'run.succeeded']);
  });

  it('retries a failing step with doubling backoff, and gives up after its retries', async () => {
    await h.release('flaky@1.0.0');
    const run = await h.finished((await h.promote('flaky@1.0.0', 'retry-env')).id);
    expect(run).toMatchObject({ status: 'failed', error: 'step hopeless failed: command exited with status 1' });
    expect(run.steps.map((s) => [s.key, s.status, s.attempt, s.maxAttempts])).toEqual([
      ['deploy', 'succeeded', 3, 4],
      ['hopeless', 'failed', 2, 2],
    ]);
    const logs = await h.logs(run.id, 'deploy');
    expect(logs.map((l) => [l.attempt, l.text])).toEqual([
      [1, 'attempt 1\n'],
      [2, 'attempt 2\n'],
      [3, 'attempt 3\n'],
    ]);
    const started = (await h.s.audit.list({ subjectType: 'step', subjectId: run.steps[0]?.id, limit: 20 }))
      .filter((e) => e.action === 'step.started')
      .map((e) => Date.parse(e.at))
      .reverse();
    expect(started).toHaveLength(3);
    const [first = 0, second = 0, third = 0] = started;
    expect(second - first).toBeGreaterThanOrEqual(200);
    expect(third - second).toBeGreaterThanOrEqual(400);
    expect((await h.output(run.id, 'hopeless')).split('\n').filter(Boolean)).toEqual(['attempt 1', 'attempt 2']);
  });

  it('refuses promotions that cannot be: a cancelled release, an environment off the track, no plan, unknown names', async () => {
    await h.release('tracked@1.0.0');
    await h.release('quick@0.9.0');
    await h.s.releases.setStatus('quick@0.9.0', 'cancelled', 'admin');
    await expect(h.promote('quick@0.9.0', 'quick-env')).rejects.toMatchObject({
      code: 'conflict',
      message: 'release quick@0.9.0 is cancelled and cannot be promoted',
    });
    await expect(h.promote('tracked@1.0.0', 'prod')).rejects.toMatchObject({
      code: 'bad_request',
      message: "environment 'prod' is not on tracked's track 'early' (staging → quick-env)",
    });
    await expect(h.promote('tracked@1.0.0', 'nowhere')).rejects.toMatchObject({
      code: 'not_found',
      message: "environment 'nowhere' not found",
    });
    await expect(h.promote('tracked@9.9.9', 'staging')).rejects.toMatchObject({
      code: 'not_found',
      message: "release 'tracked@9.9.9' not found",
    });
    await expect(h.promote('tracked@1.0.0', 'quick-env', 'alice', 'tomorrow')).rejects.toMatchObject({ code: 'bad_request' });
    expect(await h.s.runs.list({ product: 'tracked', limit: 5 })).toEqual([]);
  });

  it('promote --at a future time: the run is scheduled, then starts when the time comes', async () => {
    await h.release('quick@1.0.0');
    const at = new Date(Date.now() + 1_500).toISOString();
    const scheduled = await h.promote('quick@1.0.0', 'quick-env', 'alice', at);
    expect(scheduled).toMatchObject({ status: 'scheduled', scheduledAt: at, startedAt: null });
    expect((await h.s.runs.show(scheduled.id)).steps.map((s) => s.status)).toEqual(['pending']);
    const run = await h.finished(scheduled.id);
    expect(run.status).toBe('succeeded');
    expect(Date.parse(run.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(at));
  });

  it('redeploys an older version as a rollback: promote quick@1.0.0 again after 1.1.0', async () => {
    // quick@1.0.0 succeeded in quick-env in the test before.
    await h.release('quick@1.1.0');
    expect((await h.finished((await h.promote('quick@1.1.0', 'quick-env')).id)).status).toBe('succeeded');
    const again = await h.promote('quick@1.0.0', 'quick-env', 'bob');
    expect(again.redeploy).toBe(true);
    const run = await h.finished(again.id);
    expect(run.status).toBe('succeeded');
    expect(await h.output(run.id)).toBe('quick@1.0.0\n');
    const deployments = await h.s.deployments.list({ product: 'quick', environment: 'quick-env', limit: 5 });
    expect(deployments.map((d) => [d.version, d.status, d.actor])).toEqual([
      ['1.0.0', 'succeeded', 'bob'],
      ['1.1.0', 'succeeded', 'alice'],
      ['1.0.0', 'succeeded', 'alice'],
    ]);
    // Promoting the current version again is not a redeploy.
    const current = await h.promote('quick@1.0.0', 'quick-env');
    expect(current.redeploy).toBe(false);
    expect((await h.finished(current.id)).status).toBe('succeeded');
  });
});

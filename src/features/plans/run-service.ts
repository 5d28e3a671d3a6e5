import type { Clock } from '../../platform/clock.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import { AppError, type ErrorDetail, notFound } from '../../platform/errors.js';
import type { AuditLog } from '../audit/audit-service.js';
import type { CheckQuery } from '../calendar/calendar-api.js';
import type { CheckResult } from '../calendar/check.js';
import { listTracks } from '../environments/environment-store.js';
import type { GateResult } from '../gates/gate.js';
import type { GateSpec } from '../gates/gate-config.js';
import { findPolicy } from '../gates/policy-store.js';
import { formatRef, parseRef } from '../releases/release.js';
import { findRelease } from '../releases/release-store.js';
import type { RunEngine } from './engine-service.js';
import { FINAL_RUN_STATUSES, formatMs, isFinalStep, type RunStatus, type StepStatus } from './plan.js';
import { findPlanFor } from './plan-store.js';
import type { PromoteInput, Run, RunDetail, StepLog } from './run.js';
import {
  findRunRow,
  listLogs,
  listRuns,
  liveWorkerCount,
  lockRuns,
  type RunQuery,
  type RunRow,
  type StepRow,
  setRun,
  setStep,
  specOf,
  stepRows,
  toRun,
  toStepRun,
} from './run-store.js';

interface Guards {
  gates?: { check(ref: string, environment: string, promoter: string): Promise<GateResult> };
  calendar?: { check(q: CheckQuery): Promise<CheckResult> };
}

/** Promotions and what people do with runs: look, confirm, reject, cancel, retry, resume. */
export class RunService {
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog; engine: RunEngine } & Guards) {}

  get engine(): RunEngine {
    return this.deps.engine;
  }

  /**
   * Checks the environment's gate and the calendar, then creates a run of the environment's plan. It queues
   * behind the active promotion of the same product into the environment. A version that already succeeded
   * there and is not the current one is a redeploy (a rollback): it skips gates and windows, and says so.
   */
  async promote(input: PromoteInput, actor: string): Promise<Run> {
    const { db } = this.deps;
    const { product, version } = parseRef(input.release);
    const ref = formatRef(product, version);
    const now = this.deps.clock.now();
    const given = input.at === undefined ? null : parseAt(input.at, now);
    // A time that has come (--at within the last minute) is a promotion now: the gate and calendar of now apply.
    const at = given && Date.parse(given) > now.getTime() ? given : null;
    const release = await findRelease(db, product, version);
    if (!release) throw notFound('release', ref);
    if (release.status === 'cancelled') throw new AppError('conflict', `release ${ref} is cancelled and cannot be promoted`);
    const target = await this.target(db, product, input.environment);
    const plan = await findPlanFor(db, product, input.environment);
    if (!plan) {
      throw new AppError(
        'bad_request',
        `environment '${input.environment}' has no deployment plan for ${product}: declare one under plans: in railyard.yaml and set plan: on the environment`,
      );
    }
    const redeploy = await this.isRedeploy(db, release.id, target.environmentId, target.productId);
    if (!redeploy) await this.checkGuards(ref, product, input.environment, at, actor);
    const row = await db.transaction().execute((trx) =>
      this.deps.engine.createRun(trx, {
        releaseId: release.id,
        productId: target.productId,
        environmentId: target.environmentId,
        product,
        environment: input.environment,
        version,
        plan,
        promoter: actor,
        scheduledAt: at,
        redeploy,
      }),
    );
    this.deps.engine.wake();
    return toRun(row);
  }

  private async target(db: Queryable, product: string, environment: string) {
    const [p, e, tracks] = await Promise.all([
      db.selectFrom('products').select(['id', 'track_key']).where('key', '=', product).where('archived_at', 'is', null).executeTakeFirst(),
      db.selectFrom('environments').select('id').where('key', '=', environment).where('archived_at', 'is', null).executeTakeFirst(),
      listTracks(db),
    ]);
    if (!p) throw notFound('product', product);
    if (!e) throw notFound('environment', environment);
    const track = p.track_key ? tracks.find((t) => t.key === p.track_key) : undefined;
    if (track && !track.environments.includes(environment)) {
      throw new AppError(
        'bad_request',
        `environment '${environment}' is not on ${product}'s track '${track.key}' (${track.environments.join(' → ')})`,
      );
    }
    return { productId: p.id, environmentId: e.id };
  }

  private async isRedeploy(db: Queryable, releaseId: string, environmentId: string, productId: string): Promise<boolean> {
    const latest = await db
      .selectFrom('deployments')
      .select(['release_id'])
      .where('product_id', '=', productId)
      .where('environment_id', '=', environmentId)
      .where('status', '=', 'succeeded')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (!latest || latest.release_id === releaseId) return false;
    const before = await db
      .selectFrom('deployments')
      .select('id')
      .where('release_id', '=', releaseId)
      .where('environment_id', '=', environmentId)
      .where('status', '=', 'succeeded')
      .executeTakeFirst();
    return before !== undefined;
  }

  private async checkGuards(ref: string, product: string, environment: string, at: string | null, actor: string): Promise<void> {
    const details: ErrorDetail[] = [];
    if (this.deps.gates) {
      const gate = await this.deps.gates.check(ref, environment, actor);
      // With --at the calendar is asked when that time comes (a due run starts only in an open window), so the
      // gate's window check (about now) is left out.
      const spec = at ? await findPolicy<GateSpec>(this.deps.db, 'gate', environment) : undefined;
      const windowChecks = new Set((spec?.checks ?? []).filter((c) => c.builtin === 'window').map((c) => c.name));
      for (const c of gate.checks) {
        if (c.status !== 'pass' && !windowChecks.has(c.name))
          details.push({ message: `gate check ${c.name}: ${c.status} — ${c.explanation}` });
      }
    }
    if (this.deps.calendar && !at) {
      const cal = await this.deps.calendar.check({ product, environment });
      if (!cal.allowed) {
        for (const r of cal.reasons) details.push({ message: `calendar: ${r.message}` });
        if (cal.nextOpen) details.push({ message: `the calendar next allows it at ${cal.nextOpen} (promote with --at ${cal.nextOpen})` });
      }
    }
    if (details.length > 0) {
      throw new AppError('blocked', `${ref} cannot be promoted to ${environment} now: ${details.length} reason(s)`, details);
    }
  }

  async list(q: RunQuery): Promise<Run[]> {
    return listRuns(this.deps.db, q);
  }

  async show(id: string): Promise<RunDetail> {
    const run = await this.mustFind(this.deps.db, id);
    const steps = await stepRows(this.deps.db, id);
    return { ...toRun(run), steps: steps.map(toStepRun) };
  }

  async logs(id: string, q: { after?: string; step?: string; limit: number }): Promise<StepLog[]> {
    await this.mustFind(this.deps.db, id);
    return listLogs(this.deps.db, id, q);
  }

  /** True when a worker (in this process or another) has reported in over the last 10 seconds. */
  async workersAlive(): Promise<boolean> {
    const since = new Date(this.deps.clock.now().getTime() - 10_000).toISOString();
    return (await liveWorkerCount(this.deps.db, since)) > 0;
  }

  /**
   * Resolves when the run has reached a final status (or the timeout passes: then its current state). Woken by
   * the run's changes (from any process on PostgreSQL); on SQLite it also looks every half second for those
   * of other processes.
   */
  async waitFor(id: string, timeoutMs = 24 * 3_600_000): Promise<RunDetail> {
    const deadline = Date.now() + timeoutMs;
    const pollMs = this.deps.engine.pollMs(500);
    for (;;) {
      const run = await this.show(id);
      if ((FINAL_RUN_STATUSES as readonly string[]).includes(run.status) || Date.now() >= deadline) return run;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(pollMs, Math.max(1, deadline - Date.now())));
        const off = this.deps.engine.watchRun(id, done);
        function done() {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    }
  }

  /**
   * A person confirms a step that waits for them: a manual checklist item, an approval (not by the promoter;
   * in the role the step names), or a step whose outcome is unknown (it did take effect).
   */
  async confirm(id: string, key: string, actor: string, opts: { note?: string; role?: string } = {}): Promise<RunDetail> {
    await this.change(id, key, actor, async (trx, run, step) => {
      const spec = specOf(step);
      const now = this.deps.clock.now().toISOString();
      if (step.status === 'needs_attention') {
        await setStep(trx, step.id, {
          status: 'succeeded',
          finished_at: now,
          updated_at: now,
          result: JSON.stringify({ resolvedBy: actor, note: opts.note ?? null }),
        });
        return { action: 'step.resolved', after: { run: id, step: key, as: 'succeeded', note: opts.note ?? null } };
      }
      if (step.status !== 'waiting') throw notWaiting(id, step);
      const role = spec.approval?.role ?? spec.manual?.role ?? null;
      if (role && opts.role !== role) {
        throw new AppError(
          'bad_request',
          `step ${key} is confirmed in role '${role}': give that role (CLI --role ${role}, API "role") if it is yours`,
        );
      }
      if (spec.kind === 'approval' && actor === run.promoter) {
        throw new AppError('blocked', `${actor} promoted this run and may not approve its step ${key} (separation of duties)`);
      }
      const previous = (step.result ? (JSON.parse(step.result) as { confirmations?: Confirmation[] }) : {}).confirmations ?? [];
      if (previous.some((c) => c.by === actor)) throw new AppError('conflict', `${actor} has already confirmed step ${key}`);
      const confirmations = [...previous, { by: actor, role: opts.role ?? null, note: opts.note ?? null, at: now }];
      const needed = spec.approval?.min ?? 1;
      const done = confirmations.length >= needed;
      await setStep(trx, step.id, {
        status: done ? 'succeeded' : 'waiting',
        attempt: 1,
        ...(done ? { finished_at: now } : {}),
        updated_at: now,
        result: JSON.stringify({ confirmations }),
      });
      return {
        action: 'step.confirmed',
        after: {
          run: id,
          step: key,
          by: actor,
          role: opts.role ?? null,
          note: opts.note ?? null,
          confirmations: confirmations.length,
          needed,
        },
      };
    });
    return this.show(id);
  }

  /** A person says no to a waiting step (or declares an unknown outcome failed): the step fails. */
  async reject(id: string, key: string, actor: string, reason: string): Promise<RunDetail> {
    await this.change(id, key, actor, async (trx, _run, step) => {
      if (step.status !== 'waiting' && step.status !== 'needs_attention') throw notWaiting(id, step);
      const now = this.deps.clock.now().toISOString();
      await setStep(trx, step.id, { status: 'failed', finished_at: now, updated_at: now, error: `rejected by ${actor}: ${reason}` });
      return { action: 'step.rejected', after: { run: id, step: key, by: actor, reason } };
    });
    return this.show(id);
  }

  private async change(
    id: string,
    key: string,
    actor: string,
    body: (trx: Queryable, run: RunRow, step: StepRow) => Promise<{ action: string; after: unknown }>,
  ): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const run = await this.mustFind(trx, id, true);
      const steps = await stepRows(trx, id);
      const phase = run.status === 'rolling_back' ? 'rollback' : 'deploy';
      const step = steps.find((s) => s.key === key && s.phase === phase) ?? steps.find((s) => s.key === key);
      if (!step) throw new AppError('not_found', `run ${id} has no step '${key}' (steps: ${steps.map((s) => s.key).join(', ')})`);
      const { action, after } = await body(trx, run, step);
      await this.deps.audit.record(trx, { actor, action, subjectType: 'step', subjectId: step.id, after });
      await this.deps.engine.progress(trx, { ...(await this.mustFind(trx, id)) });
      await this.deps.engine.announce(trx, { work: true, runs: [id] });
    });
    this.deps.engine.wake();
    this.deps.engine.changed(id);
  }

  /** Stops a run that has not finished: its open steps are cancelled (a running command is killed). */
  async cancel(id: string, actor: string, reason?: string): Promise<RunDetail> {
    await this.deps.db.transaction().execute(async (trx) => {
      const run = await this.mustFind(trx, id, true);
      if (isFinal(run.status)) throw new AppError('conflict', `run ${id} has already ${run.status}; there is nothing to cancel`);
      const now = this.deps.clock.now().toISOString();
      for (const s of await stepRows(trx, id)) {
        if (!isFinalStep(s.status as StepStatus)) {
          await setStep(trx, s.id, { status: 'cancelled', lease_owner: null, lease_expires_at: null, finished_at: now, updated_at: now });
        }
      }
      await this.deps.audit.record(trx, {
        actor,
        action: 'run.cancel_requested',
        subjectType: 'run',
        subjectId: id,
        after: { reason: reason ?? null },
      });
      await this.deps.engine.finishRun(trx, run, 'cancelled', reason ? `cancelled by ${actor}: ${reason}` : `cancelled by ${actor}`);
      await this.deps.engine.announce(trx, { work: true, runs: [id] });
    });
    this.deps.engine.wake();
    this.deps.engine.changed(id);
    return this.show(id);
  }

  /**
   * Runs again what failed: a failed run is queued again from its failed steps (the steps that succeeded are
   * not repeated); a run that needs attention re-runs the steps whose outcome is unknown.
   */
  async retry(id: string, actor: string): Promise<RunDetail> {
    return this.reopen(id, actor, 'retry', 'pending');
  }

  /** Carries on past what failed or is unknown, treating those steps as skipped (a person's decision). */
  async resume(id: string, actor: string, reason: string): Promise<RunDetail> {
    return this.reopen(id, actor, 'resume', 'skipped', reason);
  }

  private async reopen(id: string, actor: string, how: 'retry' | 'resume', to: 'pending' | 'skipped', reason?: string): Promise<RunDetail> {
    await this.deps.db.transaction().execute(async (trx) => {
      const run = await this.mustFind(trx, id, true);
      const status = run.status as RunStatus;
      if (status !== 'failed' && status !== 'needs_attention') {
        const hint = status === 'rolled_back' ? ': it was rolled back; promote the release again to start over' : '';
        throw new AppError('conflict', `run ${id} is ${status}; only a failed run or one that needs attention can ${how}${hint}`);
      }
      const now = this.deps.clock.now().toISOString();
      const all = await stepRows(trx, id);
      // A run that needs attention during its rollback carries on with the rollback, not with the deploy.
      const inRollback = status === 'needs_attention' && all.some((s) => s.phase === 'rollback' && s.status !== 'pending');
      const phase = inRollback ? 'rollback' : 'deploy';
      const reset: string[] = [];
      for (const s of all.filter((x) => x.phase === phase)) {
        const st = s.status as StepStatus;
        if (st === 'failed' || st === 'needs_attention') {
          reset.push(s.key);
          await setStep(trx, s.id, {
            status: to,
            attempt: to === 'pending' ? 0 : s.attempt,
            lost_leases: 0,
            error: to === 'skipped' ? `skipped by ${actor}: ${reason ?? ''}` : null,
            finished_at: to === 'skipped' ? now : null,
            updated_at: now,
          });
        } else if (st === 'cancelled') {
          await setStep(trx, s.id, { status: 'pending', attempt: 0, error: null, finished_at: null, updated_at: now });
        }
      }
      // Rollback steps start afresh should the run fail again.
      for (const s of inRollback ? [] : all) {
        if (s.phase === 'rollback')
          await setStep(trx, s.id, { status: 'pending', attempt: 0, error: null, started_at: null, finished_at: null, updated_at: now });
      }
      await this.deps.audit.record(trx, {
        actor,
        action: `run.${how}`,
        subjectType: 'run',
        subjectId: id,
        after: { steps: reset, reason: reason ?? null },
      });
      if (status === 'failed') {
        await setRun(trx, id, { status: 'queued', error: null, finished_at: null, deployment_id: null, updated_at: now });
        await this.deps.engine.admit(trx, run.environment_id);
      } else {
        // Stored before progress: it only writes the status when the steps imply another one.
        const resumed = inRollback ? 'rolling_back' : 'running';
        await setRun(trx, id, { status: resumed, updated_at: now });
        await this.deps.engine.progress(trx, { ...run, status: resumed });
      }
      await this.deps.engine.announce(trx, { work: true, runs: [id] });
    });
    this.deps.engine.wake();
    this.deps.engine.changed(id);
    return this.show(id);
  }

  /** `lock`: the run is about to be moved on in this transaction (see lockRuns). */
  private async mustFind(db: Queryable, id: string, lock = false): Promise<RunRow> {
    const run = lock ? (await lockRuns(db, [id]))[0] : await findRunRow(db, id);
    if (!run) throw notFound('run', id);
    return run;
  }
}

interface Confirmation {
  by: string;
  role: string | null;
  note: string | null;
  at: string;
}

function isFinal(status: string): boolean {
  return (FINAL_RUN_STATUSES as readonly string[]).includes(status);
}

function notWaiting(id: string, step: StepRow): AppError {
  const when = step.available_at && step.status === 'ready' ? ` (it starts ${step.available_at})` : '';
  return new AppError('conflict', `step ${step.key} of run ${id} is ${step.status}${when}, not waiting for a person`);
}

function parseAt(text: string, now: Date): string {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) {
    throw new AppError('bad_request', `at: '${text}' is not an ISO-8601 time such as 2026-12-01T09:00:00Z`);
  }
  if (ms < now.getTime() - 60_000) {
    throw new AppError('bad_request', `at: ${text} is in the past (now is ${now.toISOString()}, ${formatMs(now.getTime() - ms)} later)`);
  }
  return new Date(ms).toISOString();
}

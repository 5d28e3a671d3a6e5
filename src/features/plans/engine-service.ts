import { EventEmitter } from 'node:events';
import type { Clock } from '../../platform/clock.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { AuditLog } from '../audit/audit-service.js';
import { insertDeployment } from '../deployments/deployment-store.js';
import { updateReleaseStatus } from '../releases/release-store.js';
import {
  backoffMs,
  FINAL_RUN_STATUSES,
  idempotencyKey,
  interpolate,
  isFinalStep,
  isSettled,
  needsPerson,
  type PlanSpec,
  type RunStatus,
  type RunVariables,
  type StepSpec,
  type StepStatus,
  startableSteps,
} from './plan.js';
import { activeStatus } from './run.js';
import {
  claimSteps,
  dueScheduledRuns,
  expiredLeases,
  extendLease,
  heldStep,
  insertLogs,
  insertOutbox,
  lockEnvironment,
  lockQueue,
  type NewLog,
  nextAvailable,
  type RunRow,
  type StepRow,
  setRun,
  setStep,
  slotsOf,
  specOf,
  stepRows,
  toRun,
} from './run-store.js';

/** A step a worker has claimed: what to execute, and the token its writes must carry. */
export interface ClaimedStep {
  id: string;
  runId: string;
  phase: string;
  key: string;
  token: number;
  attempt: number;
  spec: StepSpec;
  vars: RunVariables;
  environment: string;
  product: string;
}

export type StepOutcome =
  | { kind: 'succeeded'; result?: Record<string, unknown> }
  | { kind: 'failed'; error: string; result?: Record<string, unknown>; retryable?: boolean }
  /** Not an attempt: put the step back to wait until `at` (e.g. a `wait` for a window that is closed). */
  | { kind: 'later'; at: string; note: string }
  /** The worker is stopping: give the step back without counting the attempt against it. */
  | { kind: 'released' }
  /** The attempt was cut off and may or may not have had its effect: a person decides. */
  | { kind: 'unknown'; error: string };

export interface Completion {
  step: ClaimedStep;
  outcome: StepOutcome;
  logs: NewLog[];
}

/** A lost lease after this many worker deaths stops being retried and waits for a person instead. */
const MAX_LOST_LEASES = 10;

export interface CreateRunInput {
  releaseId: string;
  productId: string;
  environmentId: string;
  product: string;
  environment: string;
  version: string;
  plan: PlanSpec;
  promoter: string;
  scheduledAt: string | null;
  redeploy: boolean;
}

/**
 * The durable run engine: runs and steps live in the database and every transition is one transaction that
 * also writes its audit event (and outbox event). Workers claim steps with a lease and a fencing token; a
 * write from a worker that no longer holds the step is refused. In-process wake-ups tell workers of new work
 * the moment it commits.
 */
export class RunEngine {
  private readonly events = new EventEmitter();

  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog }) {
    this.events.setMaxListeners(0);
  }

  /** Called with no arguments whenever steps may have become claimable; returns the unsubscribe function. */
  onWork(listener: () => void): () => void {
    this.events.on('work', listener);
    return () => this.events.off('work', listener);
  }

  /** Called with the run id whenever a run or one of its steps changed (or logged output). */
  onRunChange(listener: (runId: string) => void): () => void {
    this.events.on('run', listener);
    return () => this.events.off('run', listener);
  }

  wake(): void {
    this.events.emit('work');
  }

  changed(runId: string): void {
    this.events.emit('run', runId);
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  private record(trx: Queryable, actor: string, action: string, subjectType: string, subjectId: string, after: unknown) {
    return this.deps.audit.record(trx, { actor, action, subjectType, subjectId, after });
  }

  // ---- Creating and admitting runs ----

  async createRun(trx: Queryable, input: CreateRunInput): Promise<RunRow> {
    await lockQueue(trx, input.environmentId);
    const now = this.now();
    // The id is made inside the transaction (after the write lock), so queue order is commit order.
    const id = newId();
    const row: RunRow = {
      id,
      release_id: input.releaseId,
      product_id: input.productId,
      environment_id: input.environmentId,
      product: input.product,
      environment: input.environment,
      version: input.version,
      plan_key: input.plan.key,
      plan: JSON.stringify(input.plan),
      status: input.scheduledAt ? 'scheduled' : 'queued',
      redeploy: input.redeploy ? 1 : 0,
      promoter: input.promoter,
      scheduled_at: input.scheduledAt,
      error: null,
      deployment_id: null,
      created_at: now,
      started_at: null,
      finished_at: null,
      updated_at: now,
    };
    await trx.insertInto('runs').values(row).execute();
    const steps = [
      ...input.plan.steps.map((s, i) => ({ s, i, phase: 'deploy' })),
      ...input.plan.rollback.map((s, i) => ({ s, i, phase: 'rollback' })),
    ];
    if (steps.length > 0) {
      await trx
        .insertInto('step_runs')
        .values(
          steps.map(({ s, i, phase }) => ({
            id: newId(),
            run_id: id,
            phase,
            key: s.key,
            kind: s.kind,
            position: i,
            spec: JSON.stringify(s),
            status: 'pending',
            attempt: 0,
            max_attempts: s.retries + 1,
            lost_leases: 0,
            available_at: null,
            lease_owner: null,
            lease_token: 0,
            lease_expires_at: null,
            started_at: null,
            finished_at: null,
            result: null,
            error: null,
            updated_at: now,
          })),
        )
        .execute();
    }
    await this.record(trx, input.promoter, 'run.created', 'run', id, toRun(row));
    if (!input.scheduledAt) await this.admit(trx, input.environmentId);
    return (await trx.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as RunRow;
  }

  /**
   * Starts queued runs of an environment, oldest first, while it has free slots: at most `concurrency` active
   * runs, and never two of one product. A run waiting for a person keeps its slot.
   */
  async admit(trx: Queryable, environmentId: string): Promise<void> {
    const concurrency = await lockEnvironment(trx, environmentId);
    const { active, queued } = await slotsOf(trx, environmentId);
    const busy = new Set(active.map((r) => r.product_id));
    let free = concurrency - active.length;
    for (const run of queued) {
      if (free <= 0) break;
      if (busy.has(run.product_id)) continue;
      busy.add(run.product_id);
      free--;
      const now = this.now();
      await setRun(trx, run.id, { status: 'running', started_at: now, updated_at: now });
      await this.record(trx, 'railyard', 'run.started', 'run', run.id, { status: 'running', environment: run.environment });
      await insertOutbox(trx, { event: 'run.started', subjectType: 'run', subjectId: run.id, payload: toRun(run), at: now });
      const release = await trx.selectFrom('releases').select('status').where('id', '=', run.release_id).executeTakeFirst();
      if (release?.status === 'planned') await updateReleaseStatus(trx, run.release_id, 'in_progress', now);
      await this.progress(trx, { ...run, status: 'running', started_at: now });
    }
  }

  /**
   * Moves a run forward from the state of its steps: starts steps whose needs are settled, turns to rollback
   * when a step fails with onFailure: rollback, and finishes the run when its phase is done.
   */
  async progress(trx: Queryable, run: RunRow): Promise<void> {
    if ((FINAL_RUN_STATUSES as readonly string[]).includes(run.status)) return;
    if (run.status === 'queued' || run.status === 'scheduled') return;
    const steps = await stepRows(trx, run.id);
    // The phase is where the steps are, not the run's status: a run awaiting a person (or needing attention)
    // during its rollback is still rolling back, and must not start its rollback over.
    const rollingBack = run.status === 'rolling_back' || steps.some((s) => s.phase === 'rollback' && s.status !== 'pending');
    let phase: 'deploy' | 'rollback' = rollingBack ? 'rollback' : 'deploy';
    const plan = JSON.parse(run.plan) as PlanSpec;
    let status = run.status as RunStatus;
    for (let guard = 0; guard < 1000; guard++) {
      const current = steps.filter((s) => s.phase === phase);
      const failed = current.find((s) => s.status === 'failed' && specOf(s).onFailure !== 'continue');
      if (failed) {
        await this.cancelOpenSteps(trx, current);
        if (phase === 'deploy' && specOf(failed).onFailure === 'rollback' && plan.rollback.length > 0) {
          phase = 'rollback';
          status = 'rolling_back';
          await setRun(trx, run.id, { status, error: `step ${failed.key} failed: ${failed.error ?? 'failed'}`, updated_at: this.now() });
          await this.record(trx, 'railyard', 'run.rolling_back', 'run', run.id, { failedStep: failed.key, error: failed.error });
          await insertOutbox(trx, {
            event: 'run.rolling_back',
            subjectType: 'run',
            subjectId: run.id,
            payload: { ...toRun(run), failedStep: failed.key },
            at: this.now(),
          });
          continue;
        }
        const error =
          phase === 'rollback'
            ? `rollback step ${failed.key} failed: ${failed.error ?? 'failed'}${run.error ? ` (after: ${run.error})` : ''}`
            : `step ${failed.key} failed: ${failed.error ?? 'failed'}`;
        await this.finishRun(trx, run, 'failed', error);
        return;
      }
      const states = current.map((s) => ({
        key: s.key,
        needs: specOf(s).needs,
        status: s.status as StepStatus,
        onFailure: specOf(s).onFailure,
      }));
      const startable = new Set(startableSteps(states));
      let notified = false;
      for (const step of current.filter((s) => startable.has(s.key))) {
        notified = (await this.activate(trx, run, step)) || notified;
      }
      if (notified) continue; // a notify step finished at once: its dependents may start now
      if (current.every((s) => isSettled(s.status as StepStatus, specOf(s).onFailure))) {
        await this.finishRun(trx, run, phase === 'rollback' ? 'rolled_back' : 'succeeded', phase === 'rollback' ? run.error : null);
        return;
      }
      const next = activeStatus(phase, current as { status: StepStatus }[]);
      if (next !== status) {
        await setRun(trx, run.id, { status: next, updated_at: this.now() });
        await this.record(trx, 'railyard', `run.${next}`, 'run', run.id, { status: next });
        if (next === 'awaiting' || next === 'needs_attention') {
          const who = current.filter((s) => s.status === 'waiting' || s.status === 'needs_attention').map((s) => s.key);
          await insertOutbox(trx, {
            event: `run.${next}`,
            subjectType: 'run',
            subjectId: run.id,
            payload: { ...toRun(run), steps: who },
            at: this.now(),
          });
        }
      }
      return;
    }
  }

  /** Makes a startable step claimable, waiting for a person, or (notify) done at once. True for the latter. */
  private async activate(trx: Queryable, run: RunRow, step: StepRow): Promise<boolean> {
    const spec = specOf(step);
    const now = this.now();
    if (needsPerson(spec.kind)) {
      step.status = 'waiting';
      await setStep(trx, step.id, { status: 'waiting', started_at: now, updated_at: now });
      await this.record(trx, 'railyard', 'step.waiting', 'step', step.id, { run: run.id, step: step.key, kind: spec.kind });
      return false;
    }
    if (spec.kind === 'notify' && spec.notify) {
      const vars = this.variables(run, step);
      const message = interpolate(spec.notify.message, vars as unknown as Record<string, string>);
      await insertOutbox(trx, {
        event: 'plan.notify',
        subjectType: 'run',
        subjectId: run.id,
        payload: {
          run: run.id,
          step: step.key,
          message,
          to: spec.notify.to,
          release: `${run.product}@${run.version}`,
          environment: run.environment,
        },
        at: now,
      });
      step.status = 'succeeded';
      await setStep(trx, step.id, {
        status: 'succeeded',
        attempt: 1,
        started_at: now,
        finished_at: now,
        updated_at: now,
        result: JSON.stringify({ message }),
      });
      await this.record(trx, 'railyard', 'step.succeeded', 'step', step.id, { run: run.id, step: step.key, kind: 'notify' });
      return true;
    }
    const delay = spec.kind === 'wait' && spec.wait?.ms ? spec.wait.ms : 0;
    step.status = 'ready';
    await setStep(trx, step.id, { status: 'ready', available_at: new Date(Date.parse(now) + delay).toISOString(), updated_at: now });
    return false;
  }

  private async cancelOpenSteps(trx: Queryable, steps: StepRow[]): Promise<void> {
    const now = this.now();
    for (const s of steps) {
      if (isFinalStep(s.status as StepStatus)) continue;
      s.status = 'cancelled';
      await setStep(trx, s.id, { status: 'cancelled', lease_owner: null, lease_expires_at: null, finished_at: now, updated_at: now });
    }
  }

  /** Ends a run, records its deployment (except when cancelled), and lets the next queued run in. */
  async finishRun(trx: Queryable, run: RunRow, status: RunStatus, error: string | null): Promise<void> {
    const now = this.now();
    let deploymentId: string | null = null;
    if (status !== 'cancelled') {
      deploymentId = newId();
      const deployment = {
        id: deploymentId,
        releaseId: run.release_id,
        productId: run.product_id,
        environmentId: run.environment_id,
        version: run.version,
        status: status === 'succeeded' ? ('succeeded' as const) : status === 'rolled_back' ? ('rolled_back' as const) : ('failed' as const),
        actor: run.promoter,
        startedAt: run.started_at ?? now,
        finishedAt: now,
      };
      await insertDeployment(trx, deployment);
      await this.record(trx, run.promoter, 'deployment.recorded', 'deployment', deploymentId, {
        id: deploymentId,
        product: run.product,
        environment: run.environment,
        version: run.version,
        status: deployment.status,
        run: run.id,
      });
      if (status === 'succeeded') await this.markReleased(trx, run, now);
    }
    await setRun(trx, run.id, { status, error, finished_at: now, deployment_id: deploymentId, updated_at: now });
    const finished = { ...run, status, error, finished_at: now, deployment_id: deploymentId };
    await this.record(trx, 'railyard', `run.${status}`, 'run', run.id, toRun(finished));
    await insertOutbox(trx, { event: `run.${status}`, subjectType: 'run', subjectId: run.id, payload: toRun(finished), at: now });
    await this.admit(trx, run.environment_id);
  }

  /** A release that is ready becomes released when it reaches a production environment. */
  private async markReleased(trx: Queryable, run: RunRow, now: string): Promise<void> {
    const [release, env] = await Promise.all([
      trx.selectFrom('releases').select('status').where('id', '=', run.release_id).executeTakeFirst(),
      trx.selectFrom('environments').select('tier').where('id', '=', run.environment_id).executeTakeFirst(),
    ]);
    if (release?.status === 'ready' && env?.tier === 'prod') {
      await updateReleaseStatus(trx, run.release_id, 'released', now);
      await this.record(trx, 'railyard', 'release.status_changed', 'release', run.release_id, { status: 'released', run: run.id });
    }
  }

  variables(run: RunRow, step: StepRow): RunVariables {
    return {
      RAILYARD_RUN_ID: run.id,
      RAILYARD_STEP_KEY: step.key,
      RAILYARD_ATTEMPT: String(step.attempt),
      RAILYARD_PRODUCT: run.product,
      RAILYARD_VERSION: run.version,
      RAILYARD_ENV: run.environment,
      RAILYARD_IDEMPOTENCY_KEY: idempotencyKey(run.id, step.phase, step.key),
    };
  }

  // ---- What workers call ----

  async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedStep[]> {
    const claimed = await this.deps.db.transaction().execute(async (trx) => {
      const now = this.now();
      const rows = await claimSteps(trx, owner, limit, now, new Date(Date.parse(now) + leaseMs).toISOString());
      if (rows.length === 0) return [];
      const runIds = [...new Set(rows.map((r) => r.run_id))];
      const runs = new Map((await trx.selectFrom('runs').selectAll().where('id', 'in', runIds).execute()).map((r) => [r.id, r]));
      const out: ClaimedStep[] = [];
      for (const row of rows) {
        const run = runs.get(row.run_id) as RunRow;
        await this.record(trx, owner, 'step.started', 'step', row.id, { run: row.run_id, step: row.key, attempt: row.attempt });
        out.push({
          id: row.id,
          runId: row.run_id,
          phase: row.phase,
          key: row.key,
          token: row.lease_token,
          attempt: row.attempt,
          spec: specOf(row),
          vars: this.variables(run, row),
          environment: run.environment,
          product: run.product,
        });
      }
      return out;
    });
    for (const runId of new Set(claimed.map((c) => c.runId))) this.changed(runId);
    return claimed;
  }

  /** Keeps a claimed step's lease; false when the worker lost it and must stop the attempt. */
  async heartbeat(step: ClaimedStep, leaseMs: number): Promise<boolean> {
    return extendLease(this.deps.db, step.id, step.token, new Date(Date.parse(this.now()) + leaseMs).toISOString());
  }

  /** Writes output of running steps; lines from a worker that lost its lease are dropped. */
  async appendLogs(batches: { step: ClaimedStep; logs: NewLog[] }[]): Promise<void> {
    if (batches.length === 0) return;
    await this.deps.db.transaction().execute(async (trx) => {
      for (const b of batches) if (await heldStep(trx, b.step.id, b.step.token)) await insertLogs(trx, b.logs);
    });
    for (const runId of new Set(batches.map((b) => b.step.runId))) this.changed(runId);
  }

  /**
   * Records the outcomes of finished attempts in one transaction (group commit) and moves their runs on.
   * Returns the ids of steps whose write was refused because the worker no longer held them.
   */
  async complete(completions: readonly Completion[]): Promise<string[]> {
    if (completions.length === 0) return [];
    const refused: string[] = [];
    const touched = new Set<string>();
    await this.deps.db.transaction().execute(async (trx) => {
      const runsToProgress = new Set<string>();
      for (const c of completions) {
        const row = await heldStep(trx, c.step.id, c.step.token);
        if (!row) {
          refused.push(c.step.id);
          continue;
        }
        await insertLogs(trx, c.logs);
        await this.applyOutcome(trx, row, c.outcome, row.lease_owner ?? 'worker');
        runsToProgress.add(row.run_id);
      }
      for (const runId of runsToProgress) {
        const run = await trx.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst();
        if (run) await this.progress(trx, run);
        touched.add(runId);
      }
    });
    this.wake();
    for (const runId of touched) this.changed(runId);
    return refused;
  }

  private async applyOutcome(trx: Queryable, row: StepRow, outcome: StepOutcome, actor: string): Promise<void> {
    const now = this.now();
    const spec = specOf(row);
    const base = { lease_owner: null, lease_expires_at: null, updated_at: now };
    const subject = { run: row.run_id, step: row.key, attempt: row.attempt };
    switch (outcome.kind) {
      case 'succeeded':
        await setStep(trx, row.id, {
          ...base,
          status: 'succeeded',
          finished_at: now,
          result: outcome.result ? JSON.stringify(outcome.result) : null,
        });
        await this.record(trx, actor, 'step.succeeded', 'step', row.id, subject);
        return;
      case 'failed': {
        const retry = outcome.retryable !== false && row.attempt < row.max_attempts;
        const result = outcome.result ? JSON.stringify(outcome.result) : null;
        if (retry) {
          const at = new Date(Date.parse(now) + backoffMs(spec.backoffMs, row.attempt)).toISOString();
          await setStep(trx, row.id, { ...base, status: 'ready', available_at: at, error: outcome.error, result });
          await this.record(trx, actor, 'step.retrying', 'step', row.id, { ...subject, error: outcome.error, retryAt: at });
        } else {
          await setStep(trx, row.id, { ...base, status: 'failed', finished_at: now, error: outcome.error, result });
          await this.record(trx, actor, 'step.failed', 'step', row.id, { ...subject, error: outcome.error });
        }
        return;
      }
      case 'later':
        await setStep(trx, row.id, { ...base, status: 'ready', available_at: outcome.at, attempt: row.attempt - 1, error: null });
        await insertLogs(trx, [
          { runId: row.run_id, stepId: row.id, attempt: row.attempt, stream: 'system', text: `${outcome.note}\n`, at: now },
        ]);
        return;
      case 'released':
        await setStep(trx, row.id, { ...base, status: 'ready', available_at: now, attempt: row.attempt - 1 });
        await this.record(trx, actor, 'step.released', 'step', row.id, subject);
        return;
      case 'unknown':
        await setStep(trx, row.id, { ...base, status: 'needs_attention', error: outcome.error });
        await this.record(trx, actor, 'step.needs_attention', 'step', row.id, { ...subject, error: outcome.error });
        return;
    }
  }

  /**
   * Steps whose worker stopped heartbeating (it died, or is paused past its lease). Idempotent steps go back to
   * be claimed again; a step that is not idempotent may have had its effect, so a person decides.
   */
  async reapExpired(): Promise<number> {
    const now = this.now();
    const expired = await expiredLeases(this.deps.db, now);
    if (expired.length === 0) return 0;
    const touched = new Set<string>();
    await this.deps.db.transaction().execute(async (trx) => {
      for (const stale of expired) {
        const row = await heldStep(trx, stale.id, stale.lease_token);
        if (!row || (row.lease_expires_at ?? '') >= now) continue;
        const spec = specOf(row);
        const base = { lease_owner: null, lease_expires_at: null, updated_at: now, lost_leases: row.lost_leases + 1 };
        const subject = { run: row.run_id, step: row.key, attempt: row.attempt, worker: row.lease_owner };
        if (spec.idempotent && row.lost_leases + 1 < MAX_LOST_LEASES) {
          await setStep(trx, row.id, { ...base, status: 'ready', available_at: now, attempt: row.attempt - 1 });
          await this.record(trx, 'railyard', 'step.lease_expired', 'step', row.id, { ...subject, next: 'retry' });
        } else {
          const why = spec.idempotent
            ? `the step lost its worker ${row.lost_leases + 1} times`
            : `the worker running attempt ${row.attempt} stopped answering and the step is not idempotent: it may or may not have had its effect`;
          await setStep(trx, row.id, { ...base, status: 'needs_attention', error: why });
          await this.record(trx, 'railyard', 'step.needs_attention', 'step', row.id, { ...subject, error: why });
        }
        const run = await trx.selectFrom('runs').selectAll().where('id', '=', row.run_id).executeTakeFirst();
        if (run) await this.progress(trx, run);
        touched.add(row.run_id);
      }
    });
    this.wake();
    for (const runId of touched) this.changed(runId);
    return expired.length;
  }

  /**
   * Scheduled runs whose time has come join their environment's queue. `windowCheck` (the calendar) may say
   * the environment is closed then: the run stays scheduled until the window opens.
   */
  async startDueRuns(windowCheck?: (run: RunRow, at: string) => Promise<{ allowed: boolean; nextOpen: string | null }>): Promise<number> {
    const now = this.now();
    const due = await dueScheduledRuns(this.deps.db, now);
    let started = 0;
    for (const run of due) {
      const check = windowCheck && run.redeploy === 0 ? await windowCheck(run, now) : { allowed: true, nextOpen: null };
      await this.deps.db.transaction().execute(async (trx) => {
        const fresh = await trx
          .selectFrom('runs')
          .selectAll()
          .where('id', '=', run.id)
          .where('status', '=', 'scheduled')
          .executeTakeFirst();
        if (!fresh) return;
        if (!check.allowed) {
          const next = check.nextOpen ?? new Date(Date.parse(now) + 60_000).toISOString();
          await setRun(trx, run.id, { scheduled_at: next, updated_at: now });
          await this.record(trx, 'railyard', 'run.rescheduled', 'run', run.id, {
            scheduledAt: next,
            reason: 'the environment is closed (calendar)',
          });
          return;
        }
        await setRun(trx, run.id, { status: 'queued', updated_at: now });
        await this.record(trx, 'railyard', 'run.queued', 'run', run.id, { status: 'queued' });
        await this.admit(trx, run.environment_id);
        started++;
      });
      this.changed(run.id);
    }
    if (started) this.wake();
    return started;
  }

  async nextAvailable(): Promise<string | null> {
    return nextAvailable(this.deps.db);
  }
}

import type { Clock } from '../../platform/clock.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { Signal, Signals } from '../../platform/db/signals.js';
import { newId } from '../../platform/ids.js';
import type { AuditInput } from '../audit/audit.js';
import type { AuditLog } from '../audit/audit-service.js';
import type { HeldHead } from '../audit/audit-store.js';
import { insertDeployments, type NewDeployment } from '../deployments/deployment-store.js';
import { startReleases, updateReleaseStatus } from '../releases/release-store.js';
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
  activeRuns,
  claimSteps,
  dueScheduledRuns,
  environmentsWithQueuedRuns,
  expiredLeases,
  extendLease,
  heldStep,
  heldSteps,
  insertLogs,
  insertOutbox,
  lockEnvironment,
  lockQueue,
  lockQueuedRuns,
  lockRuns,
  type NewLog,
  nextAvailable,
  type OutboxEntry,
  type ProgressStep,
  progressStepsOfRuns,
  queuedRuns,
  type RunRow,
  type StepRow,
  setRun,
  setRuns,
  setStep,
  setSteps,
  specOf,
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

/**
 * One engine transaction: the audit events of its transitions are collected and written together when it
 * ends (one advance of the chain for all of them), in the order they happened and before it commits.
 */
interface Tx {
  trx: Queryable;
  events: AuditInput[];
  /** The audit chain's head once the transaction holds its lock (null on SQLite, where nothing needs taking). */
  head: HeldHead | null | undefined;
  /** Steps made claimable, by the time they become so: written together before the next read of steps. */
  ready: Map<string, string[]>;
  /** Steps the transaction made claimable now, and whether it made any claimable later (a wait, a backoff). */
  readyNow: number;
  readyLater: boolean;
  /** Runs the transaction let into their environments (their status changed without a step of theirs). */
  admitted: string[];
  /** Notifications, written together at the end (one statement, not one per run). */
  outbox: OutboxEntry[];
  /** Environments whose runs finished here: their queues are looked at once each, not once per finished run. */
  freed: Set<string>;
  /** Environments' tiers, read once per transaction (a release is released by a run in a prod-tier one). */
  tiers: Map<string, string>;
  /** Deployments of runs that finished here, written together at the end (nothing here reads them back). */
  deployments: NewDeployment[];
}

/**
 * Parsed step specs by their stored text. Runs of one plan store the same text, so each is parsed once, not
 * at every transition. For the engine's own reading only: what leaves the engine is parsed afresh.
 */
const parsedSpecs = new Map<string, StepSpec>();

function readSpec(step: Pick<StepRow, 'spec'>): StepSpec {
  let spec = parsedSpecs.get(step.spec);
  if (!spec) {
    if (parsedSpecs.size >= 2000) parsedSpecs.clear();
    spec = JSON.parse(step.spec) as StepSpec;
    parsedSpecs.set(step.spec, spec);
  }
  return spec;
}

/** The run columns a claimed step needs for its variables. */
type RunNames = Pick<RunRow, 'id' | 'product' | 'version' | 'environment'>;

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
 * write from a worker that no longer holds the step is refused. Signals tell workers of new work, and watchers
 * of changed runs, the moment it commits: in this process at once, and on PostgreSQL in every process that
 * listens (a NOTIFY sent inside the transaction, delivered by its commit).
 */
export class RunEngine {
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog; signals: Signals }) {}

  /** Called with no arguments whenever steps may have become claimable; returns the unsubscribe function. */
  onWork(listener: () => void): () => void {
    return this.deps.signals.on((s) => (s.work || s.all) && listener());
  }

  /** Called with the run id whenever a run or one of its steps changed (or logged output). */
  onRunChange(listener: (runId: string) => void): () => void {
    return this.deps.signals.on((s) => {
      for (const runId of s.runs ?? []) listener(runId);
    });
  }

  /**
   * Called whenever run `runId` may have changed: when it did, and when changes may have been missed (the
   * signals of other processes were interrupted). What a watcher of one run needs.
   */
  watchRun(runId: string, listener: () => void): () => void {
    return this.deps.signals.on((s) => (s.all || s.runs?.includes(runId)) && listener());
  }

  /** How often a waiter should look anyway (for changes no signal reached it about), given its own poll on SQLite. */
  pollMs(withoutSignals: number): number {
    return this.deps.signals.safetyPollMs ?? withoutSignals;
  }

  wake(): void {
    this.deps.signals.emit({ work: true });
  }

  changed(runId: string): void {
    this.deps.signals.emit({ runs: [runId] });
  }

  /**
   * Inside a transaction: tells other processes (on PostgreSQL) what it changed, delivered when it commits.
   * Whoever calls this also tells its own process after the commit (wake, changed).
   */
  announce(trx: Queryable, signal: Signal): Promise<void> {
    return this.deps.signals.publish(trx, signal);
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  /** Notes an audit event of the transaction: written, with the others, when it ends (flush). */
  private async record(tx: Tx, actor: string, action: string, subjectType: string, subjectId: string, after: unknown) {
    tx.events.push({ actor, action, subjectType, subjectId, after });
  }

  /**
   * Takes the audit chain's lock (once per transaction). The chain is one row every writer appends through, so
   * an engine transaction takes it as late as it can: before its events are written, or before it locks an
   * environment or a release (the order other writers take those in: the head first). What keeps two
   * transactions from moving one run on at once is the run's own row (lockRuns), taken before its steps.
   */
  private async lockChain(tx: Tx): Promise<void> {
    if (tx.head === undefined) tx.head = await this.deps.audit.lock(tx.trx);
  }

  /**
   * Called last in every transaction (or method given one): admits runs where runs finished, writes the steps
   * made claimable, the deployments, the notifications and the audit events, and tells other processes what
   * `signal` says (on PostgreSQL the NOTIFY rides on the statement that writes the last audit events).
   */
  private async flush(tx: Tx, signal?: () => Signal): Promise<void> {
    await this.admitFreed(tx);
    await this.writeReady(tx);
    await insertDeployments(tx.trx, tx.deployments.splice(0));
    await insertOutbox(tx.trx, tx.outbox.splice(0));
    const announce = signal?.();
    const events = tx.events.splice(0);
    if (events.length === 0) {
      if (announce) await this.announce(tx.trx, announce);
      return;
    }
    const also = announce ? this.deps.signals.notifications(announce) : [];
    await this.lockChain(tx);
    await this.deps.audit.recordAll(tx.trx, events, { held: tx.head, also });
    // The head has moved: a later event of this transaction reads it again.
    tx.head = undefined;
  }

  /** Writes the steps made claimable so far: one statement per distinct time. */
  private async writeReady(tx: Tx): Promise<void> {
    if (tx.ready.size === 0) return;
    const now = this.now();
    for (const [at, ids] of tx.ready) {
      await setSteps(tx.trx, ids, { status: 'ready', available_at: at, updated_at: now });
      if (at > now) tx.readyLater = true;
      else tx.readyNow += ids.length;
    }
    tx.ready.clear();
  }

  /** The steps of these runs (what progress needs), after writing those made claimable so far. */
  private async progressSteps(tx: Tx, runIds: readonly string[]): Promise<ProgressStep[]> {
    await this.writeReady(tx);
    return progressStepsOfRuns(tx.trx, runIds);
  }

  /**
   * Runs `body` as a transition within the caller's transaction, its audit events written before it returns.
   * `signal` says what to tell other processes of it (sent inside the transaction, after the body, with its
   * result): what the transaction's commit will announce.
   */
  private async within<T>(trx: Queryable, body: (tx: Tx) => Promise<T>, signal?: (out: T, tx: Tx) => Signal): Promise<T> {
    const tx: Tx = {
      trx,
      events: [],
      head: undefined,
      ready: new Map(),
      readyNow: 0,
      readyLater: false,
      admitted: [],
      outbox: [],
      freed: new Set(),
      tiers: new Map(),
      deployments: [],
    };
    const out = await body(tx);
    await this.flush(tx, signal && (() => signal(out, tx)));
    return out;
  }

  /** Runs `body` in a transaction of its own, as within() does. */
  private transaction<T>(body: (tx: Tx) => Promise<T>, signal?: (out: T, tx: Tx) => Signal): Promise<T> {
    return this.deps.db.transaction().execute((trx) => this.within(trx, body, signal));
  }

  /**
   * Whether a transaction that claimed `claimed` of `limit` steps leaves work for other workers: steps it made
   * claimable now that it may not have taken (it took all it could), or steps claimable later (other workers
   * set their next look by them).
   */
  private leftWork(tx: Tx, claimed: number, limit: number): boolean {
    return tx.readyLater || (tx.readyNow > 0 && claimed >= limit);
  }

  // ---- Creating and admitting runs ----

  async createRun(trx: Queryable, input: CreateRunInput): Promise<RunRow> {
    await lockQueue(trx, input.environmentId);
    const id = await this.within(
      trx,
      (tx) => this.insertRun(tx, input),
      (runId) => ({ work: true, runs: [runId] }),
    );
    return (await trx.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as RunRow;
  }

  private async insertRun(tx: Tx, input: CreateRunInput): Promise<string> {
    const { trx } = tx;
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
    // Admission is a worker's: a promotion is queued until a worker (embedded in serve, or `railyard worker`)
    // lets it into the environment, so `promote` answers `queued` and no run starts with nobody to execute it.
    await this.record(tx, input.promoter, 'run.created', 'run', id, toRun(row));
    return id;
  }

  /**
   * Starts queued runs of an environment, oldest first, while it has free slots: at most `concurrency` active
   * runs, and never two of one product. A run waiting for a person keeps its slot.
   */
  async admit(trx: Queryable, environmentId: string): Promise<void> {
    await this.within(trx, (tx) => this.admitIn(tx, environmentId));
  }

  private async admitIn(tx: Tx, environmentId: string): Promise<void> {
    const { trx } = tx;
    await this.lockChain(tx);
    const concurrency = await lockEnvironment(trx, environmentId);
    const queued = await queuedRuns(trx, environmentId);
    if (queued.length === 0) return;
    const active = await activeRuns(trx, environmentId);
    const busy = new Set(active.map((r) => r.product_id));
    let free = concurrency - active.length;
    let starting: string[] = [];
    for (const run of queued) {
      if (free <= 0) break;
      if (busy.has(run.product_id)) continue;
      busy.add(run.product_id);
      free--;
      starting.push(run.id);
    }
    // Chosen in queue order; one another transaction holds (it is being cancelled) waits for the next admission,
    // and so does its product: its slot stays free until then.
    const rows = new Map((await lockQueuedRuns(trx, starting)).map((r) => [r.id, r]));
    starting = starting.filter((id) => rows.has(id));
    if (starting.length === 0) return;
    const now = this.now();
    // The runs, and their releases still planned, change status together: two statements, not two per run.
    await setRuns(trx, starting, { status: 'running', started_at: now, updated_at: now });
    await startReleases(trx, [...new Set(starting.map((id) => (rows.get(id) as RunRow).release_id))], now);
    // Their steps are read together too, and each run starts from its own.
    const stepsByRun = new Map<string, ProgressStep[]>();
    for (const st of await this.progressSteps(tx, starting)) stepsByRun.set(st.run_id, [...(stepsByRun.get(st.run_id) ?? []), st]);
    for (const id of starting) {
      const run = rows.get(id) as RunRow;
      tx.admitted.push(run.id);
      await this.record(tx, 'railyard', 'run.started', 'run', run.id, { status: 'running', environment: run.environment });
      tx.outbox.push({ event: 'run.started', subjectType: 'run', subjectId: run.id, payload: toRun(run), at: now });
      await this.advance(tx, { ...run, status: 'running', started_at: now }, stepsByRun.get(id) ?? []);
    }
  }

  /**
   * Moves a run forward from the state of its steps: starts steps whose needs are settled, turns to rollback
   * when a step fails with onFailure: rollback, and finishes the run when its phase is done.
   */
  async progress(trx: Queryable, run: RunRow): Promise<void> {
    await this.within(trx, (tx) => this.advance(tx, run));
  }

  /** progress() within an engine transaction; `loaded` are the run's steps when the caller has read them already. */
  private async advance(tx: Tx, run: RunRow, loaded?: ProgressStep[]): Promise<void> {
    if ((FINAL_RUN_STATUSES as readonly string[]).includes(run.status)) return;
    if (run.status === 'queued' || run.status === 'scheduled') return;
    const { trx } = tx;
    const steps = loaded ?? (await this.progressSteps(tx, [run.id]));
    const spec = readSpec;
    // A run waiting for a person (awaiting, needs_attention) during its rollback is still rolling back: its
    // rollback steps have started. Judged by the status alone, it would enter the rollback a second time.
    const rollbackStarted = steps.some((s) => s.phase === 'rollback' && s.status !== 'pending');
    let phase: 'deploy' | 'rollback' = run.status === 'rolling_back' || rollbackStarted ? 'rollback' : 'deploy';
    let status = run.status as RunStatus;
    for (let guard = 0; guard < 1000; guard++) {
      const current = steps.filter((s) => s.phase === phase);
      const failed = current.find((s) => s.status === 'failed' && spec(s).onFailure !== 'continue');
      if (failed) {
        await this.cancelOpenSteps(trx, current);
        if (phase === 'deploy' && spec(failed).onFailure === 'rollback' && steps.some((s) => s.phase === 'rollback')) {
          phase = 'rollback';
          status = 'rolling_back';
          await setRun(trx, run.id, { status, error: `step ${failed.key} failed: ${failed.error ?? 'failed'}`, updated_at: this.now() });
          await this.record(tx, 'railyard', 'run.rolling_back', 'run', run.id, { failedStep: failed.key, error: failed.error });
          tx.outbox.push({
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
        await this.finishIn(tx, run, 'failed', error, steps);
        return;
      }
      const states = current.map((s) => ({
        key: s.key,
        needs: spec(s).needs,
        status: s.status as StepStatus,
        onFailure: spec(s).onFailure,
      }));
      const startable = new Set(startableSteps(states));
      let notified = false;
      for (const step of current.filter((s) => startable.has(s.key))) {
        notified = (await this.activate(tx, run, step, spec(step))) || notified;
      }
      if (notified) continue; // a notify step finished at once: its dependents may start now
      if (current.every((s) => isSettled(s.status as StepStatus, spec(s).onFailure))) {
        await this.finishIn(tx, run, phase === 'rollback' ? 'rolled_back' : 'succeeded', phase === 'rollback' ? run.error : null, steps);
        return;
      }
      const next = activeStatus(phase, current as { status: StepStatus }[]);
      if (next !== status) {
        await setRun(trx, run.id, { status: next, updated_at: this.now() });
        await this.record(tx, 'railyard', `run.${next}`, 'run', run.id, { status: next });
        if (next === 'awaiting' || next === 'needs_attention') {
          const who = current.filter((s) => s.status === 'waiting' || s.status === 'needs_attention').map((s) => s.key);
          tx.outbox.push({
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

  /**
   * Makes a startable step claimable (written with the transaction's other such steps), waiting for a person,
   * or (notify) done at once. True for the latter.
   */
  private async activate(tx: Tx, run: RunRow, step: ProgressStep, spec: StepSpec): Promise<boolean> {
    const { trx } = tx;
    const now = this.now();
    if (needsPerson(spec.kind)) {
      step.status = 'waiting';
      await setStep(trx, step.id, { status: 'waiting', started_at: now, updated_at: now });
      await this.record(tx, 'railyard', 'step.waiting', 'step', step.id, { run: run.id, step: step.key, kind: spec.kind });
      return false;
    }
    if (spec.kind === 'notify' && spec.notify) {
      const vars = this.variables(run, step);
      const message = interpolate(spec.notify.message, vars as unknown as Record<string, string>);
      tx.outbox.push({
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
      await this.record(tx, 'railyard', 'step.succeeded', 'step', step.id, { run: run.id, step: step.key, kind: 'notify' });
      return true;
    }
    const delay = spec.kind === 'wait' && spec.wait?.ms ? spec.wait.ms : 0;
    const at = delay ? new Date(Date.parse(now) + delay).toISOString() : now;
    tx.ready.set(at, [...(tx.ready.get(at) ?? []), step.id]);
    step.status = 'ready';
    return false;
  }

  private async cancelOpenSteps(trx: Queryable, steps: ProgressStep[]): Promise<void> {
    const now = this.now();
    for (const s of steps) {
      if (isFinalStep(s.status as StepStatus)) continue;
      s.status = 'cancelled';
      await setStep(trx, s.id, { status: 'cancelled', lease_owner: null, lease_expires_at: null, finished_at: now, updated_at: now });
    }
  }

  /** Ends a run, records its deployment (except when cancelled), and lets the next queued run in. */
  async finishRun(trx: Queryable, run: RunRow, status: RunStatus, error: string | null): Promise<void> {
    await this.within(trx, (tx) => this.finishIn(tx, run, status, error));
  }

  /** `steps`: the run's steps as the caller holds them (statuses current), when it has them. */
  private async finishIn(tx: Tx, run: RunRow, status: RunStatus, error: string | null, steps?: readonly ProgressStep[]): Promise<void> {
    const { trx } = tx;
    const now = this.now();
    // Steps the run never reached (the rollback of a run that succeeded) read as skipped, not as still to come.
    if (!steps || steps.some((s) => s.status === 'pending')) {
      await trx
        .updateTable('step_runs')
        .set({ status: 'skipped', updated_at: now })
        .where('run_id', '=', run.id)
        .where('status', '=', 'pending')
        .execute();
    }
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
      tx.deployments.push(deployment);
      await this.record(tx, run.promoter, 'deployment.recorded', 'deployment', deploymentId, {
        id: deploymentId,
        product: run.product,
        environment: run.environment,
        version: run.version,
        status: deployment.status,
        run: run.id,
      });
      if (status === 'succeeded') await this.markReleased(tx, run, now);
    }
    await setRun(trx, run.id, { status, error, finished_at: now, deployment_id: deploymentId, updated_at: now });
    const finished = { ...run, status, error, finished_at: now, deployment_id: deploymentId };
    await this.record(tx, 'railyard', `run.${status}`, 'run', run.id, toRun(finished));
    tx.outbox.push({ event: `run.${status}`, subjectType: 'run', subjectId: run.id, payload: toRun(finished), at: now });
    tx.freed.add(run.environment_id);
  }

  /**
   * Admits queued runs into the environments whose runs finished in this transaction, once each and in id
   * order (so two transactions lock environments in the same order); admitting may finish more runs.
   */
  private async admitFreed(tx: Tx): Promise<void> {
    while (tx.freed.size > 0) {
      const environments = [...tx.freed].sort();
      tx.freed.clear();
      for (const environmentId of environments) await this.admitIn(tx, environmentId);
    }
  }

  /** A release that is ready becomes released when it reaches a production environment. */
  private async markReleased(tx: Tx, run: RunRow, now: string): Promise<void> {
    const { trx } = tx;
    let tier = tx.tiers.get(run.environment_id);
    if (tier === undefined) {
      tier = (await trx.selectFrom('environments').select('tier').where('id', '=', run.environment_id).executeTakeFirst())?.tier ?? '';
      tx.tiers.set(run.environment_id, tier);
    }
    if (tier !== 'prod') return;
    const release = await trx.selectFrom('releases').select('status').where('id', '=', run.release_id).executeTakeFirst();
    if (release?.status === 'ready') {
      await this.lockChain(tx); // before the release's row, as other writers of releases take them
      await updateReleaseStatus(trx, run.release_id, 'released', now);
      await this.record(tx, 'railyard', 'release.status_changed', 'release', run.release_id, { status: 'released', run: run.id });
    }
  }

  variables(run: RunNames, step: Pick<ProgressStep, 'key' | 'attempt' | 'phase'>): RunVariables {
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
    const { claimed, runs } = await this.transaction(
      async (tx) => {
        // Queued runs enter their environments first (when a slot is free), so their first steps are claimable now.
        // admitIn takes the audit head before the environment, the order every other writer takes them in.
        const waiting = (await environmentsWithQueuedRuns(tx.trx)).sort();
        for (const environmentId of waiting) await this.admitIn(tx, environmentId);
        const claimed = await this.claimIn(tx, owner, limit, leaseMs);
        return { claimed, runs: [...new Set([...tx.admitted, ...claimed.map((c) => c.runId)])] };
      },
      (out, tx) => ({ work: this.leftWork(tx, out.claimed.length, limit), runs: out.runs }),
    );
    for (const runId of runs) this.changed(runId);
    return claimed;
  }

  /** `known`: runs the transaction has read already (their names do not change), so they are not read again. */
  private async claimIn(
    tx: Tx,
    owner: string,
    limit: number,
    leaseMs: number,
    known: ReadonlyMap<string, RunNames> = new Map(),
  ): Promise<ClaimedStep[]> {
    if (limit <= 0) return [];
    await this.writeReady(tx);
    const { trx } = tx;
    const now = this.now();
    const rows = await claimSteps(trx, owner, limit, now, new Date(Date.parse(now) + leaseMs).toISOString());
    if (rows.length === 0) return [];
    const runs = new Map(known);
    const unknown = [...new Set(rows.map((r) => r.run_id))].filter((id) => !runs.has(id));
    if (unknown.length > 0) {
      const read = await trx.selectFrom('runs').select(['id', 'product', 'version', 'environment']).where('id', 'in', unknown).execute();
      for (const r of read) runs.set(r.id, r);
    }
    const out: ClaimedStep[] = [];
    for (const row of rows) {
      const run = runs.get(row.run_id) as RunNames;
      await this.record(tx, owner, 'step.started', 'step', row.id, { run: row.run_id, step: row.key, attempt: row.attempt });
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
  }

  /** Keeps a claimed step's lease; false when the worker lost it and must stop the attempt. */
  async heartbeat(step: ClaimedStep, leaseMs: number): Promise<boolean> {
    return extendLease(this.deps.db, step.id, step.token, new Date(Date.parse(this.now()) + leaseMs).toISOString());
  }

  /** Writes output of running steps; lines from a worker that lost its lease are dropped. */
  async appendLogs(batches: { step: ClaimedStep; logs: NewLog[] }[]): Promise<void> {
    if (batches.length === 0) return;
    const runs = [...new Set(batches.map((b) => b.step.runId))];
    await this.deps.db.transaction().execute(async (trx) => {
      // Rows locked in id order, as every other writer of several steps takes them: no lock cycle.
      const ordered = [...batches].sort((a, b) => (a.step.id < b.step.id ? -1 : a.step.id > b.step.id ? 1 : 0));
      for (const b of ordered) if (await heldStep(trx, b.step.id, b.step.token)) await insertLogs(trx, b.logs);
      await this.announce(trx, { runs });
    });
    for (const runId of runs) this.changed(runId);
  }

  /**
   * Records the outcomes of finished attempts in one transaction (group commit) and moves their runs on.
   * Returns the ids of steps whose write was refused because the worker no longer held them.
   */
  async complete(completions: readonly Completion[]): Promise<string[]> {
    if (completions.length === 0) return [];
    return (await this.completeAndClaim(completions, { owner: '', limit: 0, leaseMs: 0 })).refused;
  }

  /**
   * complete(), then claim() in the same transaction: a worker hands in its finished attempts and takes up to
   * `next.limit` ready steps — among them the dependents those attempts just made ready — with one commit
   * instead of two. Each half behaves exactly as its own method does (fencing, tokens, audit events).
   */
  async completeAndClaim(
    completions: readonly Completion[],
    next: { owner: string; limit: number; leaseMs: number },
  ): Promise<{ refused: string[]; claimed: ClaimedStep[] }> {
    if (completions.length === 0 && next.limit <= 0) return { refused: [], claimed: [] };
    const { refused, changed, claimed } = await this.transaction(
      async (tx) => {
        const done = await this.completeIn(tx, completions);
        await this.admitFreed(tx); // so that the runs it lets in have their first steps claimed here too
        const claimed = await this.claimIn(tx, next.owner, next.limit, next.leaseMs, done.runs);
        const changed = [...new Set([...done.touched, ...tx.admitted, ...claimed.map((c) => c.runId)])];
        return { refused: done.refused, changed, claimed };
      },
      (out, tx) => ({ work: this.leftWork(tx, out.claimed.length, next.limit), runs: out.changed }),
    );
    if (completions.length > 0) this.wake();
    for (const runId of changed) this.changed(runId);
    return { refused, claimed };
  }

  /**
   * The runs are locked and the steps still held read, one statement each; outcomes are applied in the order given (a second
   * completion of the same attempt finds it no longer running and is refused, as it would be on its own);
   * successes are written together; then each run moves on from its steps, read together.
   */
  private async completeIn(
    tx: Tx,
    completions: readonly Completion[],
  ): Promise<{ refused: string[]; touched: Set<string>; runs: Map<string, RunRow> }> {
    const { trx } = tx;
    const refused: string[] = [];
    const runsToProgress = new Set<string>();
    // The runs first, then their steps: the order every transaction that moves runs on takes them in.
    const runs = new Map(
      (
        await lockRuns(
          trx,
          completions.map((c) => c.step.runId),
        )
      ).map((r) => [r.id, r]),
    );
    const held = new Map(
      (
        await heldSteps(
          trx,
          completions.map((c) => c.step.id),
        )
      ).map((r) => [r.id, r]),
    );
    const logs: NewLog[] = [];
    const succeeded = new Map<string | null, string[]>();
    const now = this.now();
    for (const c of completions) {
      const row = held.get(c.step.id);
      if (!row || row.lease_token !== c.step.token) {
        refused.push(c.step.id);
        continue;
      }
      held.delete(row.id); // taken: a second completion of this attempt is refused
      logs.push(...c.logs);
      const actor = row.lease_owner ?? 'worker';
      if (c.outcome.kind === 'succeeded') {
        const result = c.outcome.result ? JSON.stringify(c.outcome.result) : null;
        succeeded.set(result, [...(succeeded.get(result) ?? []), row.id]);
        await this.record(tx, actor, 'step.succeeded', 'step', row.id, { run: row.run_id, step: row.key, attempt: row.attempt });
      } else {
        await insertLogs(trx, logs.splice(0));
        await this.applyOutcome(tx, row, c.outcome, actor);
      }
      runsToProgress.add(row.run_id);
    }
    await insertLogs(trx, logs);
    for (const [result, ids] of succeeded) {
      await setSteps(trx, ids, {
        status: 'succeeded',
        finished_at: now,
        result,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: now,
      });
    }
    if (runsToProgress.size > 0) {
      const ids = [...runsToProgress];
      const stepsByRun = new Map<string, ProgressStep[]>();
      for (const s of await this.progressSteps(tx, ids)) stepsByRun.set(s.run_id, [...(stepsByRun.get(s.run_id) ?? []), s]);
      for (const runId of ids) {
        const run = runs.get(runId);
        if (run) await this.advance(tx, run, stepsByRun.get(runId) ?? []);
      }
    }
    return { refused, touched: runsToProgress, runs };
  }

  /** Every outcome but success (rarer, and each depends on the row): written one by one. */
  private async applyOutcome(tx: Tx, row: StepRow, outcome: StepOutcome, actor: string): Promise<void> {
    const { trx } = tx;
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
        await this.record(tx, actor, 'step.succeeded', 'step', row.id, subject);
        return;
      case 'failed': {
        const retry = outcome.retryable !== false && row.attempt < row.max_attempts;
        const result = outcome.result ? JSON.stringify(outcome.result) : null;
        if (retry) {
          const at = new Date(Date.parse(now) + backoffMs(spec.backoffMs, row.attempt)).toISOString();
          tx.readyLater = true;
          await setStep(trx, row.id, { ...base, status: 'ready', available_at: at, error: outcome.error, result });
          await this.record(tx, actor, 'step.retrying', 'step', row.id, { ...subject, error: outcome.error, retryAt: at });
        } else {
          await setStep(trx, row.id, { ...base, status: 'failed', finished_at: now, error: outcome.error, result });
          await this.record(tx, actor, 'step.failed', 'step', row.id, { ...subject, error: outcome.error });
        }
        return;
      }
      case 'later':
        tx.readyLater = true;
        await setStep(trx, row.id, { ...base, status: 'ready', available_at: outcome.at, attempt: row.attempt - 1, error: null });
        await insertLogs(trx, [
          { runId: row.run_id, stepId: row.id, attempt: row.attempt, stream: 'system', text: `${outcome.note}\n`, at: now },
        ]);
        return;
      case 'released':
        tx.readyNow++;
        await setStep(trx, row.id, { ...base, status: 'ready', available_at: now, attempt: row.attempt - 1 });
        await this.record(tx, actor, 'step.released', 'step', row.id, subject);
        return;
      case 'unknown':
        await setStep(trx, row.id, { ...base, status: 'needs_attention', error: outcome.error });
        await this.record(tx, actor, 'step.needs_attention', 'step', row.id, { ...subject, error: outcome.error });
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
    await this.transaction(
      async (tx) => {
        const { trx } = tx;
        // The runs, then every step row (each in id order), then the audit head: the order a completion takes
        // them in. Locking each row after the head was taken for the one before it deadlocked with a completion
        // of that row (PostgreSQL then failed one of the two, or a promotion queued behind them for the head).
        await lockRuns(
          trx,
          expired.map((s) => s.run_id),
        );
        const held = new Map(
          (
            await heldSteps(
              trx,
              expired.map((s) => s.id),
            )
          ).map((r) => [r.id, r]),
        );
        for (const stale of expired) {
          const row = held.get(stale.id);
          if (!row || row.lease_token !== stale.lease_token || (row.lease_expires_at ?? '') >= now) continue;
          const spec = specOf(row);
          const base = { lease_owner: null, lease_expires_at: null, updated_at: now, lost_leases: row.lost_leases + 1 };
          const subject = { run: row.run_id, step: row.key, attempt: row.attempt, worker: row.lease_owner };
          if (spec.idempotent && row.lost_leases + 1 < MAX_LOST_LEASES) {
            await setStep(trx, row.id, { ...base, status: 'ready', available_at: now, attempt: row.attempt - 1 });
            await this.record(tx, 'railyard', 'step.lease_expired', 'step', row.id, { ...subject, next: 'retry' });
          } else {
            const why = spec.idempotent
              ? `the step lost its worker ${row.lost_leases + 1} times`
              : `the worker running attempt ${row.attempt} stopped answering and the step is not idempotent: it may or may not have had its effect`;
            await setStep(trx, row.id, { ...base, status: 'needs_attention', error: why });
            await this.record(tx, 'railyard', 'step.needs_attention', 'step', row.id, { ...subject, error: why });
          }
          const run = await trx.selectFrom('runs').selectAll().where('id', '=', row.run_id).executeTakeFirst();
          if (run) await this.advance(tx, run);
          touched.add(row.run_id);
        }
      },
      () => ({ work: true, runs: [...touched] }),
    );
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
      const queued = await this.transaction(
        async (tx) => {
          const { trx } = tx;
          // Locked, then looked at: a second worker starting the same run finds it queued already.
          const [fresh] = await lockRuns(trx, [run.id]);
          if (fresh?.status !== 'scheduled') return false;
          if (!check.allowed) {
            const next = check.nextOpen ?? new Date(Date.parse(now) + 60_000).toISOString();
            await setRun(trx, run.id, { scheduled_at: next, updated_at: now });
            await this.record(tx, 'railyard', 'run.rescheduled', 'run', run.id, {
              scheduledAt: next,
              reason: 'the environment is closed (calendar)',
            });
            return false;
          }
          await setRun(trx, run.id, { status: 'queued', updated_at: now });
          await this.record(tx, 'railyard', 'run.queued', 'run', run.id, { status: 'queued' });
          await this.admitIn(tx, run.environment_id);
          return true;
        },
        (isQueued, tx) => ({ work: isQueued, runs: [run.id, ...tx.admitted] }),
      );
      if (queued) started++;
      this.changed(run.id);
    }
    if (started) this.wake();
    return started;
  }

  async nextAvailable(): Promise<string | null> {
    return nextAvailable(this.deps.db);
  }
}

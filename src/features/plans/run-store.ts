import { type Selectable, sql } from 'kysely';
import { dialectOfDb, inChunks, type Queryable } from '../../platform/db/database.js';
import type { RunTable, StepRunTable } from '../../platform/db/schema.js';
import { newId } from '../../platform/ids.js';
import { formatRef } from '../releases/release.js';
import { ACTIVE_RUN_STATUSES, type RunStatus, type StepSpec, type StepStatus } from './plan.js';
import type { Run, StepLog, StepRun } from './run.js';

export type RunRow = Selectable<RunTable>;
export type StepRow = Selectable<StepRunTable>;

export function toRun(r: RunRow): Run {
  return {
    id: r.id,
    release: formatRef(r.product, r.version),
    product: r.product,
    version: r.version,
    environment: r.environment,
    plan: r.plan_key,
    status: r.status as RunStatus,
    redeploy: r.redeploy === 1,
    promoter: r.promoter,
    scheduledAt: r.scheduled_at,
    error: r.error,
    deployment: r.deployment_id,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export function specOf(row: Pick<StepRow, 'spec'>): StepSpec {
  return JSON.parse(row.spec) as StepSpec;
}

export function toStepRun(row: StepRow): StepRun {
  const spec = specOf(row);
  const person =
    spec.manual ?? (spec.approval ? { instructions: `approval by ${spec.approval.min} ${spec.approval.role ?? 'person'}(s)` } : null);
  return {
    id: row.id,
    phase: row.phase as StepRun['phase'],
    key: row.key,
    name: spec.name,
    kind: spec.kind,
    needs: spec.needs,
    status: row.status as StepStatus,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    availableAt: row.available_at,
    worker: row.lease_owner,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
    result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
    instructions: person?.instructions ?? null,
    role: spec.approval?.role ?? spec.manual?.role ?? null,
  };
}

export async function findRunRow(db: Queryable, id: string): Promise<RunRow | undefined> {
  return db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** What moving a run on needs to know of a step (not its lease, timings or result). */
export type ProgressStep = Pick<StepRow, 'id' | 'run_id' | 'phase' | 'key' | 'status' | 'spec' | 'error' | 'attempt'>;

/** The steps of several runs, each run's in the order stepRows gives them, with the columns ProgressStep needs. */
export async function progressStepsOfRuns(db: Queryable, runIds: readonly string[]): Promise<ProgressStep[]> {
  if (runIds.length === 0) return [];
  return db
    .selectFrom('step_runs')
    .select(['id', 'run_id', 'phase', 'key', 'status', 'spec', 'error', 'attempt'])
    .where('run_id', 'in', runIds)
    .orderBy('run_id')
    .orderBy('phase')
    .orderBy('position')
    .execute();
}

export async function stepRows(db: Queryable, runId: string): Promise<StepRow[]> {
  return db.selectFrom('step_runs').selectAll().where('run_id', '=', runId).orderBy('phase').orderBy('position').execute();
}

export interface RunQuery {
  product?: string;
  environment?: string;
  status?: string;
  release?: string;
  before?: string;
  limit: number;
}

export async function listRuns(db: Queryable, q: RunQuery): Promise<Run[]> {
  let query = db.selectFrom('runs').selectAll().orderBy('id', 'desc').limit(q.limit);
  if (q.product) query = query.where('product', '=', q.product);
  if (q.environment) query = query.where('environment', '=', q.environment);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.release) {
    const at = q.release.lastIndexOf('@');
    query = query.where('product', '=', q.release.slice(0, at)).where('version', '=', q.release.slice(at + 1));
  }
  if (q.before) query = query.where('id', '<', q.before);
  return (await query.execute()).map(toRun);
}

/** Runs queued for an environment, oldest first: who, not what. */
export async function queuedRuns(db: Queryable, environmentId: string): Promise<RunSlot[]> {
  return db
    .selectFrom('runs')
    .select(['id', 'product_id', 'status'])
    .where('environment_id', '=', environmentId)
    .where('status', '=', 'queued')
    .orderBy('id')
    .execute();
}

/** Environments with runs waiting to be admitted (for a worker, before it claims). */
export async function environmentsWithQueuedRuns(db: Queryable): Promise<string[]> {
  const rows = await db.selectFrom('runs').select('environment_id').distinct().where('status', '=', 'queued').execute();
  return rows.map((r) => r.environment_id);
}

/** Runs of an environment that hold a promotion slot: who, not what. */
export async function activeRuns(db: Queryable, environmentId: string): Promise<RunSlot[]> {
  return db
    .selectFrom('runs')
    .select(['id', 'product_id', 'status'])
    .where('environment_id', '=', environmentId)
    .where('status', 'in', ACTIVE_RUN_STATUSES)
    .execute();
}

export type RunSlot = Pick<RunRow, 'id' | 'product_id' | 'status'>;

/**
 * The runs, locked until commit on PostgreSQL (FOR NO KEY UPDATE, in id order; rows that reference a run take
 * FOR KEY SHARE on it and are not held up). Whoever moves a run on holds it first: two transactions then never
 * both read its steps and each miss the other's writes. Locks are taken runs → steps → audit head →
 * environments → releases. SQLite's writers hold the whole database already.
 */
export async function lockRuns(db: Queryable, ids: readonly string[]): Promise<RunRow[]> {
  if (ids.length === 0) return [];
  let query = db
    .selectFrom('runs')
    .selectAll()
    .where('id', 'in', [...new Set(ids)])
    .orderBy('id');
  if (dialectOfDb(db as never) === 'postgres') query = query.forNoKeyUpdate();
  return query.execute();
}

/**
 * The queued runs among `ids` that admission may start now, locked (PostgreSQL). Admission holds the audit head
 * and the environment already, so it must not wait for a run's row: a run locked by another transaction (being
 * cancelled, say, which takes the head after the run) is skipped (SKIP LOCKED), and so is one no longer queued.
 */
export async function lockQueuedRuns(db: Queryable, ids: readonly string[]): Promise<RunRow[]> {
  if (ids.length === 0) return [];
  let query = db.selectFrom('runs').selectAll().where('id', 'in', ids).where('status', '=', 'queued').orderBy('id');
  if (dialectOfDb(db as never) === 'postgres') query = query.forNoKeyUpdate().skipLocked();
  return query.execute();
}

/**
 * Serializes admission into one environment: PostgreSQL row lock; SQLite writers are serialized already.
 * FOR NO KEY UPDATE, not FOR UPDATE: inserting a run (or a deployment) takes FOR KEY SHARE on the environment
 * for its foreign key, and FOR UPDATE waits for those — a transaction that inserted a run and then waited for
 * the audit chain's head deadlocked with one holding the head and waiting here.
 */
export async function lockEnvironment(db: Queryable, environmentId: string): Promise<number> {
  let query = db.selectFrom('environments').select('concurrency').where('id', '=', environmentId);
  if (dialectOfDb(db as never) === 'postgres') query = query.forNoKeyUpdate();
  const row = await query.executeTakeFirst();
  return row?.concurrency ?? 1;
}

/**
 * Serializes the creation of runs in one environment on PostgreSQL, so that a run's id — its place in the
 * queue — is made after the run queued before it has committed (SQLite's BEGIN IMMEDIATE does this already).
 * An advisory lock, not the environment's row: workers take the audit head and then the row, and a creation
 * holding the row while waiting for the head would deadlock with them.
 */
export async function lockQueue(db: Queryable, environmentId: string): Promise<void> {
  if (dialectOfDb(db as never) !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(${QUEUE_LOCK_CLASS}, hashtext(${environmentId}))`.execute(db);
}

/** The first key of lockQueue's two-key advisory locks ('RUNQ'); two-key locks never collide with one-key ones. */
const QUEUE_LOCK_CLASS = 0x52554e51;

/**
 * Takes up to `limit` ready steps whose time has come: marks them running, leased to `owner` until
 * `leaseUntil`, and raises each one's fencing token. PostgreSQL skips rows another worker is claiming.
 */
/** What a claim hands back of each step: enough to execute it and to write with its token. */
export type ClaimedRow = Pick<StepRow, 'id' | 'run_id' | 'phase' | 'key' | 'spec' | 'attempt' | 'lease_token'>;

export async function claimSteps(db: Queryable, owner: string, limit: number, now: string, leaseUntil: string): Promise<ClaimedRow[]> {
  const postgres = dialectOfDb(db as never) === 'postgres';
  return db
    .updateTable('step_runs')
    .set((eb) => ({
      status: 'running',
      lease_owner: owner,
      lease_token: eb('lease_token', '+', 1),
      lease_expires_at: leaseUntil,
      attempt: eb('attempt', '+', 1),
      started_at: now,
      finished_at: null,
      error: null,
      updated_at: now,
    }))
    .where('id', 'in', (eb) => {
      let sub = eb
        .selectFrom('step_runs')
        .select('id')
        .where('status', '=', 'ready')
        .where('available_at', '<=', now)
        .orderBy('available_at')
        .orderBy('id')
        .limit(limit);
      if (postgres) sub = sub.forUpdate().skipLocked();
      return sub;
    })
    .returning(['id', 'run_id', 'phase', 'key', 'spec', 'attempt', 'lease_token'])
    .execute();
}

/** Extends a lease; false when the step is no longer held with this token (taken over, cancelled). */
export async function extendLease(db: Queryable, stepId: string, token: number, until: string): Promise<boolean> {
  const r = await db
    .updateTable('step_runs')
    .set({ lease_expires_at: until })
    .where('id', '=', stepId)
    .where('lease_token', '=', token)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The step row if this worker still holds it with this token, locked for the rest of the transaction on PostgreSQL. */
export async function heldStep(db: Queryable, stepId: string, token: number): Promise<StepRow | undefined> {
  let query = db
    .selectFrom('step_runs')
    .selectAll()
    .where('id', '=', stepId)
    .where('lease_token', '=', token)
    .where('status', '=', 'running');
  if (dialectOfDb(db as never) === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

/**
 * Of these steps, the ones running (whoever holds them: the caller compares tokens), locked in id order for
 * the rest of the transaction on PostgreSQL.
 */
export async function heldSteps(db: Queryable, stepIds: readonly string[]): Promise<StepRow[]> {
  if (stepIds.length === 0) return [];
  let query = db
    .selectFrom('step_runs')
    .selectAll()
    .where('id', 'in', [...new Set(stepIds)])
    .where('status', '=', 'running')
    .orderBy('id');
  if (dialectOfDb(db as never) === 'postgres') query = query.forUpdate();
  return query.execute();
}

export async function setStep(db: Queryable, id: string, values: Partial<Omit<StepRow, 'id'>>): Promise<void> {
  await db.updateTable('step_runs').set(values).where('id', '=', id).execute();
}

/** The same change to several steps in one statement. */
export async function setSteps(db: Queryable, ids: readonly string[], values: Partial<Omit<StepRow, 'id'>>): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('step_runs').set(values).where('id', 'in', ids).execute();
}

export async function setRun(db: Queryable, id: string, values: Partial<Omit<RunRow, 'id'>>): Promise<void> {
  await db.updateTable('runs').set(values).where('id', '=', id).execute();
}

export async function setRuns(db: Queryable, ids: readonly string[], values: Partial<Omit<RunRow, 'id'>>): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('runs')
    .set(values)
    .where('id', 'in', [...ids])
    .execute();
}

export async function expiredLeases(db: Queryable, now: string, limit = 100): Promise<StepRow[]> {
  return db
    .selectFrom('step_runs')
    .selectAll()
    .where('status', '=', 'running')
    .where('lease_expires_at', '<', now)
    .orderBy('lease_expires_at')
    .limit(limit)
    .execute();
}

/** The earliest time a ready step becomes claimable (for a worker deciding how long to sleep). */
export async function nextAvailable(db: Queryable): Promise<string | null> {
  const row = await db
    .selectFrom('step_runs')
    .select((eb) => eb.fn.min('available_at').as('at'))
    .where('status', '=', 'ready')
    .executeTakeFirst();
  return (row?.at as string | null | undefined) ?? null;
}

export async function dueScheduledRuns(db: Queryable, now: string): Promise<RunRow[]> {
  return db.selectFrom('runs').selectAll().where('status', '=', 'scheduled').where('scheduled_at', '<=', now).orderBy('id').execute();
}

export interface NewLog {
  runId: string;
  stepId: string;
  attempt: number;
  stream: StepLog['stream'];
  text: string;
  at: string;
}

export async function insertLogs(db: Queryable, logs: readonly NewLog[]): Promise<void> {
  if (logs.length === 0) return;
  await db
    .insertInto('step_logs')
    .values(
      logs.map((l) => ({
        id: newId(),
        run_id: l.runId,
        step_id: l.stepId,
        attempt: l.attempt,
        stream: l.stream,
        text: l.text,
        at: l.at,
      })),
    )
    .execute();
}

export async function listLogs(db: Queryable, runId: string, q: { after?: string; step?: string; limit: number }): Promise<StepLog[]> {
  let query = db
    .selectFrom('step_logs as l')
    .innerJoin('step_runs as s', 's.id', 'l.step_id')
    .select(['l.id', 's.key', 's.phase', 'l.attempt', 'l.stream', 'l.text', 'l.at'])
    .where('l.run_id', '=', runId)
    .orderBy('l.id')
    .limit(q.limit);
  if (q.after) query = query.where('l.id', '>', q.after);
  if (q.step) query = query.where('s.key', '=', q.step);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    step: r.key,
    phase: r.phase,
    attempt: r.attempt,
    stream: r.stream as StepLog['stream'],
    text: r.text,
    at: r.at,
  }));
}

export interface OutboxEntry {
  event: string;
  subjectType: string;
  subjectId: string;
  payload: unknown;
  at: string;
}

/** Writes notifications to the outbox in the order given, in as few statements as the chunk size allows. */
export async function insertOutbox(db: Queryable, entries: readonly OutboxEntry[]): Promise<void> {
  await inChunks(entries, (chunk) =>
    db
      .insertInto('outbox')
      .values(
        chunk.map((e) => ({
          id: newId(),
          event: e.event,
          subject_type: e.subjectType,
          subject_id: e.subjectId,
          payload: JSON.stringify(e.payload),
          created_at: e.at,
          delivered_at: null,
        })),
      )
      .execute(),
  );
}

export async function registerWorker(db: Queryable, w: { id: string; host: string; pid: number; now: string }): Promise<void> {
  await db
    .insertInto('workers')
    .values({ id: w.id, host: w.host, pid: w.pid, started_at: w.now, heartbeat_at: w.now, stopped_at: null })
    .execute();
}

export async function touchWorker(db: Queryable, id: string, now: string, stopped = false): Promise<void> {
  await db
    .updateTable('workers')
    .set({ heartbeat_at: now, ...(stopped ? { stopped_at: now } : {}) })
    .where('id', '=', id)
    .execute();
}

export async function liveWorkerCount(db: Queryable, since: string): Promise<number> {
  const row = await db
    .selectFrom('workers')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('stopped_at', 'is', null)
    .where('heartbeat_at', '>=', since)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

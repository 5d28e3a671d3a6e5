import { hostname } from 'node:os';
import { type Db, isConnectionError, isTransientConflict } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { ClaimedStep, Completion, RunEngine, StepOutcome } from './engine-service.js';
import { redact } from './plan.js';
import type { NewLog } from './run-store.js';
import { registerWorker, touchWorker } from './run-store.js';
import { type ExecutionContext, executeStep, type LogStream, secretValues } from './step-executor.js';

export interface WorkerOptions {
  id?: string;
  /** Steps executed at once. */
  concurrency?: number;
  /** How long a claim lasts without a heartbeat; a worker that stops for longer loses its steps. */
  leaseMs?: number;
  /**
   * How often to look for work no signal announced. Work added in this process wakes the worker at once, and on
   * PostgreSQL so does work added by any process: there this is only the safety poll (RAILYARD_SAFETY_POLL,
   * 5 s). On SQLite it is how soon other processes' work is found (250 ms).
   */
  pollMs?: number;
  /** On stop, how long in-flight steps may take to finish before they are released. */
  graceMs?: number;
  /** Bytes of output kept per attempt; the rest is counted and dropped. */
  maxLogBytes?: number;
  windowCheck?: ExecutionContext['windowCheck'];
  execute?: (step: ClaimedStep, ctx: ExecutionContext) => Promise<StepOutcome>;
}

const LINE_LIMIT = 8 * 1024;

/** Collects a step's output: line-buffered so that secrets are redacted whole, and capped in size. */
class OutputBuffer {
  private pending: NewLog[] = [];
  private partial: Partial<Record<LogStream, string>> = {};
  private stored = 0;
  private dropped = 0;

  constructor(
    private readonly step: ClaimedStep,
    private readonly secrets: string[],
    private readonly maxBytes: number,
  ) {}

  add(stream: LogStream, text: string): void {
    const buffered = (this.partial[stream] ?? '') + text;
    const cut = buffered.lastIndexOf('\n');
    if (cut === -1 && buffered.length < LINE_LIMIT) {
      this.partial[stream] = buffered;
      return;
    }
    const whole = cut === -1 ? buffered : buffered.slice(0, cut + 1);
    this.partial[stream] = cut === -1 ? '' : buffered.slice(cut + 1);
    this.keep(stream, whole);
  }

  private keep(stream: LogStream, text: string): void {
    const size = Buffer.byteLength(text);
    // Once output is dropped, later output is dropped too: a small chunk kept after a gap would read as if it
    // followed what was stored, and the note of what was dropped belongs at the end of what was kept.
    if (this.dropped > 0 || this.stored + size > this.maxBytes) {
      this.dropped += size;
      return;
    }
    this.stored += size;
    const last = this.pending.at(-1);
    const clean = redact(text, this.secrets);
    if (last && last.stream === stream && last.text.length < 64 * 1024) last.text += clean;
    else this.pending.push(this.entry(stream, clean));
  }

  private entry(stream: LogStream, text: string): NewLog {
    return { runId: this.step.runId, stepId: this.step.id, attempt: this.step.attempt, stream, text, at: new Date().toISOString() };
  }

  /** What has not been written yet; with `final`, also unfinished lines and the note of what was dropped. */
  take(final = false): NewLog[] {
    if (final) {
      for (const stream of ['stdout', 'stderr', 'system'] as const) {
        const rest = this.partial[stream];
        if (rest) this.keep(stream, `${rest}\n`);
        this.partial[stream] = '';
      }
      if (this.dropped > 0) {
        this.pending.push(
          this.entry('system', `[output truncated: ${this.dropped} bytes beyond the ${this.maxBytes}-byte limit were not stored]\n`),
        );
        this.dropped = 0;
      }
    }
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

interface InFlight {
  step: ClaimedStep;
  output: OutputBuffer;
  abort: AbortController;
  lost: boolean;
}

/**
 * Claims ready steps and executes them: several at once, heartbeating their leases, writing output as it
 * comes, and recording outcomes in batches (one transaction for all attempts that finished together).
 */
export class PlanWorker {
  readonly id: string;
  private readonly o: Required<Omit<WorkerOptions, 'id' | 'windowCheck'>> & Pick<WorkerOptions, 'windowCheck'>;
  private readonly inflight = new Map<string, InFlight>();
  private readonly done: Completion[] = [];
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private signal: (() => void) | undefined;
  private dirty = true;
  private flushing: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private offWork: (() => void) | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> | undefined;
  /** The last database failure reported, so that an outage is one line, not one a second. */
  private lastFailure = '';
  /** Slots promised to claims under way (the loop's and the flush's), so that together they never exceed concurrency. */
  private reserved = 0;
  /** Outcomes whose recording failed for want of the database, by when it first failed. */
  private readonly failingSince = new Map<string, number>();
  /** True while the flush records outcomes (and claims with them). */
  private flushBusy = false;
  /** Steps whose outcomes the flush is recording right now: no longer for the heartbeat to keep. */
  private readonly inFlush = new Set<string>();

  constructor(
    private readonly engine: RunEngine,
    private readonly db: Db,
    options: WorkerOptions = {},
  ) {
    this.id = options.id ?? `${hostname()}:${process.pid}:${newId().slice(-6)}`;
    this.o = {
      concurrency: options.concurrency ?? 16,
      leaseMs: options.leaseMs ?? 30_000,
      pollMs: options.pollMs ?? engine.pollMs(250),
      graceMs: options.graceMs ?? 30_000,
      maxLogBytes: options.maxLogBytes ?? 256 * 1024,
      execute: options.execute ?? executeStep,
      windowCheck: options.windowCheck,
    };
  }

  async start(): Promise<void> {
    await this.register();
    this.offWork = this.engine.onWork(() => this.poke());
    this.maintenanceTimer = setInterval(() => this.maintain(), Math.min(1000, this.o.leaseMs / 2));
    this.maintain();
    this.timers.push(setInterval(() => void this.heartbeat(), Math.max(50, Math.floor(this.o.leaseMs / 3))));
    this.timers.push(setInterval(() => void this.flushLogs(), 250));
    this.loopDone = this.loop();
  }

  /**
   * Reports in. Another process may hold the database's write lock for longer than the busy timeout (on SQLite,
   * one stopped mid-transaction holds it until it goes on), or the connection may drop: the worker says so once
   * and keeps trying, as its loop does, rather than exiting before it started.
   */
  private async register(): Promise<void> {
    for (;;) {
      try {
        await registerWorker(this.db, { id: this.id, host: hostname(), pid: process.pid, now: new Date().toISOString() });
        this.recovered();
        return;
      } catch (error) {
        if (!isTransientConflict(error) && !isConnectionError(error)) throw error;
        this.failed(error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  private poke(): void {
    this.dirty = true;
    this.signal?.();
  }

  /** Slots neither executing a step nor promised to a claim that is under way. */
  private freeSlots(leaving = 0): number {
    return Math.max(0, this.o.concurrency - (this.inflight.size - leaving) - this.reserved);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        // While outcomes are being recorded, their flush claims for the slots they free (in the same
        // transaction); claiming here too would only queue an empty transaction in front of it.
        const flushing = this.flushBusy || this.done.length > 0;
        const free = flushing ? 0 : this.freeSlots();
        let claimed: ClaimedStep[] = [];
        this.dirty = false;
        if (free > 0) {
          this.reserved += free;
          try {
            claimed = await this.engine.claim(this.id, free, this.o.leaseMs);
          } finally {
            this.reserved -= free;
          }
        }
        this.begin(claimed);
        this.recovered();
        if (claimed.length > 0 && claimed.length === free) continue;
        await this.sleep(claimed.length > 0 ? 0 : flushing ? this.o.pollMs : await this.idleMs());
      } catch (error) {
        // The database may be briefly unavailable (restarting, locked): wait and try again.
        this.failed(error);
        await this.sleep(1000);
      }
    }
  }

  private async idleMs(): Promise<number> {
    const next = await this.engine.nextAvailable();
    const until = next ? Date.parse(next) - Date.now() : Number.POSITIVE_INFINITY;
    return Math.max(0, Math.min(this.o.pollMs, until));
  }

  private sleep(ms: number): Promise<void> {
    if (this.dirty || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(wake, ms);
      this.signal = wake;
      const self = this;
      function wake() {
        clearTimeout(t);
        self.signal = undefined;
        resolve();
      }
    });
  }

  /** Reports a database failure: once per kind while it lasts. */
  private failed(error: unknown): void {
    const message = (error as Error).message;
    if (message === this.lastFailure) return;
    this.lastFailure = message;
    process.stderr.write(`worker ${this.id}: ${message}${isConnectionError(error) || isTransientConflict(error) ? ' (retrying)' : ''}\n`);
  }

  private recovered(): void {
    if (!this.lastFailure) return;
    this.lastFailure = '';
    process.stderr.write(`worker ${this.id}: the database answers again\n`);
  }

  /**
   * Once a second, beside the loop (a time that comes sends no signal): report in, take over steps whose worker
   * died, start scheduled runs that are due. What it makes claimable wakes the loop.
   */
  private maintain(): void {
    if (this.maintaining) return;
    this.maintaining = this.maintenance()
      .catch((error: unknown) => this.failed(error))
      .finally(() => {
        this.maintaining = undefined;
      });
  }

  private async maintenance(): Promise<void> {
    await touchWorker(this.db, this.id, new Date().toISOString());
    await this.engine.reapExpired();
    await this.engine.startDueRuns(
      this.o.windowCheck
        ? async (run) => {
            const w = await this.o.windowCheck?.({ product: run.product, environment: run.environment } as ClaimedStep);
            return { allowed: w?.allowed ?? true, nextOpen: w?.nextOpen ?? null };
          }
        : undefined,
    );
  }

  private launch(step: ClaimedStep): void {
    const secrets = Object.values(secretValues(step).values);
    const flight: InFlight = {
      step,
      output: new OutputBuffer(step, secrets, this.o.maxLogBytes),
      abort: new AbortController(),
      lost: false,
    };
    this.inflight.set(step.id, flight);
    const ctx: ExecutionContext = {
      signal: flight.abort.signal,
      log: (stream, text) => flight.output.add(stream, text),
      windowCheck: this.o.windowCheck,
    };
    void this.o
      .execute(step, ctx)
      .catch((error: unknown): StepOutcome => ({ kind: 'failed', error: (error as Error).message }))
      .then((outcome) => {
        if (flight.lost) {
          this.inflight.delete(step.id);
          this.poke();
          return;
        }
        let final = outcome;
        if (flight.abort.signal.aborted && this.stopping) {
          // Cut off by a stop: an idempotent step goes back to the queue, any other may have had its effect.
          final = step.spec.idempotent
            ? { kind: 'released' }
            : { kind: 'unknown', error: `worker ${this.id} stopped during attempt ${step.attempt}` };
        }
        this.done.push({ step, outcome: final, logs: flight.output.take(true) });
        void this.flush();
      });
  }

  /**
   * Records finished attempts in batches; in the same transaction it claims as many ready steps as the batch
   * frees slots (completeAndClaim), so a step's dependent starts without waiting for another commit.
   */
  private flush(): Promise<void> {
    const run = async () => {
      this.flushBusy = true;
      try {
        await this.recordDone();
      } finally {
        this.flushBusy = false;
        this.poke(); // the loop claims again once the flush is idle
      }
    };
    this.flushing = (this.flushing ?? Promise.resolve()).then(run);
    return this.flushing;
  }

  private async recordDone(): Promise<void> {
    while (this.done.length > 0) {
      const batch = this.done.splice(0, this.done.length);
      for (const c of batch) this.inFlush.add(c.step.id);
      const free = this.stopping ? 0 : this.freeSlots(batch.length);
      let claimed: ClaimedStep[] = [];
      this.reserved += free;
      try {
        let refused: string[];
        ({ claimed, refused } = await this.engine.completeAndClaim(batch, { owner: this.id, limit: free, leaseMs: this.o.leaseMs }));
        for (const c of batch.filter((b) => refused.includes(b.step.id))) {
          process.stderr.write(
            `worker ${this.id}: the outcome of step ${c.step.key} of run ${c.step.runId} was refused: the step was taken over or cancelled\n`,
          );
        }
      } catch (error) {
        if (isConnectionError(error) && this.keepTrying(batch)) {
          // The database is restarting: the outcomes are recorded once it answers (their tokens make a second
          // write of an outcome that did commit a refusal, not a repeat).
          this.failed(error);
          this.done.unshift(...batch);
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        process.stderr.write(`worker ${this.id}: could not record ${batch.length} outcome(s): ${(error as Error).message}\n`);
        // Left to their leases: they expire and the steps are taken over (or wait for a person).
      } finally {
        this.reserved -= free;
      }
      for (const c of batch) {
        this.inflight.delete(c.step.id);
        this.inFlush.delete(c.step.id);
        this.failingSince.delete(c.step.id);
      }
      this.begin(claimed);
    }
  }

  /** While the database is unreachable, outcomes are kept for about a lease: past it, their steps are another's. */
  private keepTrying(batch: readonly Completion[]): boolean {
    const now = Date.now();
    for (const c of batch) if (!this.failingSince.has(c.step.id)) this.failingSince.set(c.step.id, now);
    return batch.every((c) => now - (this.failingSince.get(c.step.id) ?? now) < this.o.leaseMs);
  }

  /** Starts claimed steps; steps claimed while the worker began to stop are given back, their attempt not counted. */
  private begin(claimed: readonly ClaimedStep[]): void {
    if (!this.stopping) {
      for (const step of claimed) this.launch(step);
      return;
    }
    for (const step of claimed) this.done.push({ step, outcome: { kind: 'released' }, logs: [] });
    if (claimed.length > 0) void this.flush();
  }

  private async heartbeat(): Promise<void> {
    const finished = (id: string) => this.inFlush.has(id) || this.done.some((c) => c.step.id === id) || !this.inflight.has(id);
    for (const flight of [...this.inflight.values()]) {
      if (flight.lost || finished(flight.step.id)) continue;
      try {
        const held = await this.engine.heartbeat(flight.step, this.o.leaseMs);
        // Not held because its outcome was recorded meanwhile (on PostgreSQL the heartbeat waits for the row
        // lock the recording holds, then finds the step no longer running): nothing was lost.
        if (!held && !finished(flight.step.id)) {
          flight.lost = true;
          process.stderr.write(
            `worker ${this.id}: lost step ${flight.step.key} of run ${flight.step.runId} (taken over or cancelled): stopping attempt ${flight.step.attempt}\n`,
          );
          flight.abort.abort('the step was taken over or cancelled');
        }
      } catch {
        // A missed heartbeat is survivable; the lease outlasts a few of them.
      }
    }
  }

  private async flushLogs(): Promise<void> {
    const batches = [...this.inflight.values()]
      .filter((f) => !f.lost)
      .map((f) => ({ step: f.step, logs: f.output.take() }))
      .filter((b) => b.logs.length > 0);
    await this.engine.appendLogs(batches).catch(() => {});
  }

  /** Number of steps being executed right now. */
  get busy(): number {
    return this.inflight.size;
  }

  /** Graceful stop: claim nothing more, let in-flight steps finish (for up to graceMs), then release them. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.signal?.();
    this.offWork?.();
    clearInterval(this.maintenanceTimer);
    await this.loopDone;
    await this.maintaining;
    const deadline = Date.now() + this.o.graceMs;
    while (this.inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const f of this.inflight.values()) f.abort.abort('the worker is stopping');
    while (this.inflight.size > 0) await new Promise((r) => setTimeout(r, 20));
    await this.flushing;
    for (const t of this.timers) clearInterval(t);
    await touchWorker(this.db, this.id, new Date().toISOString(), true).catch(() => {});
  }
}

import type { Db } from '../../platform/db/database.js';
import type { CheckQuery } from '../calendar/calendar-api.js';
import type { CheckResult } from '../calendar/check.js';
import type { RunEngine } from './engine-service.js';
import { FINAL_RUN_STATUSES } from './plan.js';
import { PlanWorker, type WorkerOptions } from './plan-worker.js';
import type { RunClient } from './run-client.js';
import type { RunService } from './run-service.js';

/** How often a waiting CLI checks that some worker is still alive (it starts one of its own when none is). */
const CHECK_WORKERS_MS = 2_000;

interface WorkerDeps {
  engine: RunEngine;
  runs: RunService;
  calendar: { check(q: CheckQuery): Promise<CheckResult> };
  database: { db: Db };
}

/** A worker wired to the calendar, so `wait: { window: true }` steps and scheduled runs ask it. */
export function createWorker(s: WorkerDeps, options: WorkerOptions = {}): PlanWorker {
  return new PlanWorker(s.engine, s.database.db, {
    ...options,
    windowCheck: async (step) => {
      const r = await s.calendar.check({ product: step.product, environment: step.environment });
      return { allowed: r.allowed, nextOpen: r.nextOpen, reason: r.reasons.map((x) => x.message).join('; ') || 'closed' };
    },
  });
}

/**
 * The CLI's runs against a local database. `wait` executes the run in this process (an embedded worker)
 * when no worker has reported in; where workers are running it only waits.
 */
export function localRunClient(s: WorkerDeps, actor: string): RunClient {
  const page = <T extends { id: string }>(items: T[], limit: number) => ({
    items,
    nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null,
  });
  return {
    promote: (input) => s.runs.promote(input, actor),
    list: async ({ cursor, ...q }) => page(await s.runs.list({ ...q, before: cursor }), q.limit),
    show: (id) => s.runs.show(id),
    logs: async (id, q) => page(await s.runs.logs(id, q), q.limit),
    cancel: (id, reason) => s.runs.cancel(id, actor, reason),
    retry: (id) => s.runs.retry(id, actor),
    resume: (id, reason) => s.runs.resume(id, actor, reason),
    confirm: (id, step, o) => s.runs.confirm(id, step, actor, o),
    reject: (id, step, reason) => s.runs.reject(id, step, actor, reason),
    wait: async (id, timeoutMs = 24 * 3_600_000) => {
      // Asked again every few seconds: the worker seen at first may be another waiting CLI's, which stops
      // when its own run ends.
      const deadline = Date.now() + timeoutMs;
      let worker: PlanWorker | undefined;
      try {
        for (;;) {
          if (!worker && !(await s.runs.workersAlive())) {
            worker = createWorker(s, { graceMs: 5_000 });
            await worker.start();
          }
          const run = await s.runs.waitFor(id, Math.max(0, Math.min(CHECK_WORKERS_MS, deadline - Date.now())));
          if ((FINAL_RUN_STATUSES as readonly string[]).includes(run.status) || Date.now() >= deadline) return run;
        }
      } finally {
        await worker?.stop();
      }
    },
  };
}

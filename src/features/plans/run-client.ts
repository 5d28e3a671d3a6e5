import type { PromoteInput, Run, RunDetail, StepLog } from './run.js';

export interface RunPage {
  items: Run[];
  nextCursor: string | null;
}

export interface LogPage {
  items: StepLog[];
  nextCursor: string | null;
}

export interface RunListQuery {
  product?: string;
  environment?: string;
  status?: string;
  limit: number;
  cursor?: string;
}

/** What the CLI asks of promotions and runs; local (services + embedded worker) and remote (HTTP) alike. */
export interface RunClient {
  promote(input: PromoteInput): Promise<Run>;
  list(q: RunListQuery): Promise<RunPage>;
  show(id: string): Promise<RunDetail>;
  logs(id: string, q: { after?: string; step?: string; limit: number }): Promise<LogPage>;
  cancel(id: string, reason?: string): Promise<RunDetail>;
  retry(id: string): Promise<RunDetail>;
  resume(id: string, reason: string): Promise<RunDetail>;
  confirm(id: string, step: string, o: { note?: string; role?: string }): Promise<RunDetail>;
  reject(id: string, step: string, reason: string): Promise<RunDetail>;
  /** Until the run has finished (or `timeoutMs` passed). Locally, executes it when no worker is running. */
  wait(id: string, timeoutMs?: number): Promise<RunDetail>;
}

type Call = <T>(method: string, path: string, body?: unknown, query?: Record<string, unknown>) => Promise<T>;

const FINAL = new Set(['succeeded', 'failed', 'rolled_back', 'cancelled']);

export function remoteRunClient(call: Call): RunClient {
  const at = (id: string) => `/runs/${encodeURIComponent(id)}`;
  const step = (id: string, key: string) => `${at(id)}/steps/${encodeURIComponent(key)}`;
  return {
    promote: (input) => call('POST', '/promotions', input),
    list: (q) => call('GET', '/runs', undefined, { ...q }),
    show: (id) => call('GET', at(id)),
    logs: (id, q) => call('GET', `${at(id)}/logs`, undefined, { ...q }),
    cancel: (id, reason) => call('POST', `${at(id)}/cancel`, reason ? { reason } : {}),
    retry: (id) => call('POST', `${at(id)}/retry`, {}),
    resume: (id, reason) => call('POST', `${at(id)}/resume`, { reason }),
    confirm: (id, key, o) => call('POST', `${step(id, key)}/confirm`, o),
    reject: (id, key, reason) => call('POST', `${step(id, key)}/reject`, { reason }),
    wait: async (id, timeoutMs = 24 * 3_600_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = await call<RunDetail>('GET', at(id));
        if (FINAL.has(run.status) || Date.now() >= deadline) return run;
        await new Promise((r) => setTimeout(r, 250));
      }
    },
  };
}

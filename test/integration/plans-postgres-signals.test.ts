import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run, RunDetail } from '../../src/features/plans/run.js';
import { type Services, startServices } from '../../src/platform/container.js';
import { railyardAsync, startServer, startWorkerProcess } from '../support/cli.js';
import { freshDatabaseUrl } from '../support/databases.js';
import { eventually } from '../support/plans.js';

/**
 * On PostgreSQL, commits wake workers and watchers in other processes through LISTEN/NOTIFY. The safety poll is
 * set to 10 s here (every process started below inherits it), so a reaction within a second proves the
 * notification, not the poll.
 */
process.env.RAILYARD_SAFETY_POLL = '10s';
const ADMIN = process.env.RAILYARD_TEST_POSTGRES_URL;
/** Far below the 10 s safety poll; generous for a loaded two-core machine. */
const PROMPT_MS = 1_000;

const CONFIG = `plans:
  - { key: quick, steps: [{ key: deploy, run: ["true"] }] }
  - key: two-slow
    steps:
      - { key: first, run: ["sleep", "1"] }
      - { key: second, needs: [first], run: ["sleep", "1"] }
  - key: restart
    steps:
      - { key: slow, run: ["sleep", "4"], idempotent: true }
      - { key: soak, needs: [slow], wait: PT1S }
      - { key: last, needs: [soak], run: ["true"], idempotent: true }
environments:
  - { key: quick-env, tier: staging, plan: quick }
  - { key: slow-env, tier: staging, plan: two-slow }
  - { key: restart-env, tier: staging, plan: restart }
products:
  - key: shop
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SseEvent {
  event: string;
  data: unknown;
  at: number;
}

/** Reads a server-sent event stream as it arrives, noting when each event came. */
async function subscribe(url: string): Promise<{ events: SseEvent[]; ended: Promise<void>; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  expect(res.status).toBe(200);
  const events: SseEvent[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data), at: Date.now() });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return { events, ended, close: () => controller.abort() };
}

describe.skipIf(!ADMIN)('PostgreSQL: commits wake other processes (LISTEN/NOTIFY)', () => {
  let dir: string;
  let url: string;
  let drop: () => Promise<void>;
  let services: Services;
  let version = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'railyard-signals-'));
    ({ url, drop } = await freshDatabaseUrl('postgres'));
    services = await startServices(url);
    await services.config.apply(CONFIG, 'railyard.yaml', { dryRun: false }, 'admin');
  }, 60_000);

  afterAll(async () => {
    await services?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  async function release(): Promise<string> {
    const v = `1.0.${version++}`;
    await services.releases.create({ product: 'shop', version: v }, 'admin');
    return `shop@${v}`;
  }

  async function step(runId: string, key: string) {
    return services.database.db
      .selectFrom('step_runs')
      .select(['id', 'status', 'started_at', 'finished_at'])
      .where('run_id', '=', runId)
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
  }

  async function finished(runId: string, timeoutMs = 30_000): Promise<RunDetail> {
    return eventually(
      async () => {
        const run = await services.runs.show(runId);
        return ['succeeded', 'failed', 'rolled_back', 'cancelled', 'needs_attention'].includes(run.status) && run;
      },
      `run ${runId} to finish`,
      timeoutMs,
    );
  }

  it('an idle worker starts a promotion made by another process within a second, not at its 10 s poll', async () => {
    const worker = await startWorkerProcess(url, [], dir);
    try {
      const latencies: number[] = [];
      for (let i = 0; i < 3; i++) {
        // Idle: its first look (and the one after it started listening) are over; its next poll is seconds away.
        await sleep(1_500);
        const ref = await release();
        const promoted = await railyardAsync(['promote', ref, '--to', 'quick-env', '--db', url, '--json'], { cwd: dir });
        expect(promoted.code, promoted.stderr).toBe(0);
        const run = JSON.parse(promoted.stdout) as Run;
        const started = await eventually(async () => {
          const s = await step(run.id, 'deploy');
          return s.started_at !== null && s;
        }, 'the step to start');
        latencies.push(Date.parse(started.started_at as string) - Date.parse(run.createdAt));
        expect((await finished(run.id)).status).toBe('succeeded');
        const events = await services.audit.list({ subjectType: 'step', subjectId: started.id, limit: 10 });
        expect(events.find((e) => e.action === 'step.started')?.actor).toBe(worker.id);
      }
      expect(Math.max(...latencies), `promotion → step started: ${latencies.join(', ')} ms`).toBeLessThan(PROMPT_MS);
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it('a browser on server A sees the steps of a run promoted on server B, executed by a worker, as they happen', async () => {
    const [a, b, worker] = await Promise.all([
      startServer(['--db', url, '--no-worker'], dir),
      startServer(['--db', url, '--no-worker'], dir),
      startWorkerProcess(url, [], dir),
    ]);
    try {
      const ref = await release();
      const res = await fetch(`${b.url}/api/v1/promotions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'railyard-actor': 'alice' },
        body: JSON.stringify({ release: ref, environment: 'slow-env' }),
      });
      expect(res.status).toBe(201);
      const run = (await res.json()) as Run;
      const stream = await subscribe(`${a.url}/api/v1/runs/${run.id}/events`);
      await Promise.race([stream.ended, sleep(20_000)]);
      stream.close();

      const runEvents = stream.events.filter((e) => e.event === 'run').map((e) => ({ ...e, run: e.data as RunDetail }));
      const end = stream.events.find((e) => e.event === 'end');
      expect(end?.data).toEqual({ status: 'succeeded' });
      const final = await services.runs.show(run.id);
      // Each step that finished while A's stream was open: A told its browser within a second of the commit.
      const delays: number[] = [];
      const subscribedAt = runEvents[0]?.at ?? 0;
      for (const s of final.steps) {
        const finishedAt = Date.parse(s.finishedAt as string);
        if (finishedAt < subscribedAt) continue;
        const seen = runEvents.find((e) => e.run.steps.find((x) => x.key === s.key)?.status === 'succeeded');
        expect(seen, `step ${s.key} succeeded on A's stream`).toBeDefined();
        delays.push((seen as { at: number }).at - finishedAt);
      }
      expect(delays.length).toBeGreaterThanOrEqual(1);
      expect((end as SseEvent).at - Date.parse(final.finishedAt as string)).toBeLessThan(PROMPT_MS);
      expect(Math.max(...delays), `step finished → event on A: ${delays.join(', ')} ms`).toBeLessThan(PROMPT_MS);
      // The step that started after A subscribed: A showed it running too.
      expect(runEvents.some((e) => e.run.steps.find((x) => x.key === 'second')?.status === 'running')).toBe(true);
    } finally {
      await Promise.all([a.stop(), b.stop(), worker.stop()]);
    }
  }, 90_000);

  it('a database restart mid-run: the server and the worker reconnect, the run finishes, and a new promotion runs', async () => {
    const [server, worker] = await Promise.all([
      startServer(['--db', url, '--no-worker'], dir),
      startWorkerProcess(url, ['--lease', '3s'], dir),
    ]);
    try {
      const promote = async () => {
        const res = await fetch(`${server.url}/api/v1/promotions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'railyard-actor': 'alice' },
          body: JSON.stringify({ release: await release(), environment: 'restart-env' }),
        });
        expect(res.status).toBe(201);
        return (await res.json()) as Run;
      };
      const run = await promote();
      const stream = await subscribe(`${server.url}/api/v1/runs/${run.id}/events`);
      await eventually(async () => (await step(run.id, 'slow')).status === 'running', 'the slow step to run');

      // Every connection to the test database is cut, as a restart of PostgreSQL would (other tests share this
      // server: only this database's backends are terminated). Twice while the step runs, each time once the
      // server and the worker listen again.
      const relistened = (n: number) =>
        eventually(
          async () => [worker.output(), server.output()].every((out) => out.split('listening for changes again').length - 1 >= n),
          `the server and the worker to listen again (${n})`,
        );
      for (let i = 1; i <= 2; i++) {
        const cut = await terminateBackends(url);
        expect(cut).toBeGreaterThanOrEqual(2); // at least the server's and the worker's listening connections
        await relistened(i);
      }
      expect((await step(run.id, 'slow')).status).toBe('running');
      // Then a storm: every connection cut every 100 ms for 2 s, queries under way among them. An outcome or a
      // claim may be cut off mid-commit: every step is idempotent and the lease is short, so the run still ends.
      const stormEnd = Date.now() + 2_000;
      while (Date.now() < stormEnd) {
        await terminateBackends(url);
        await sleep(100);
      }

      const done = await finished(run.id);
      expect(done.status).toBe('succeeded');
      expect(done.steps.map((s) => [s.key, s.status])).toEqual([
        ['slow', 'succeeded'],
        ['soak', 'succeeded'],
        ['last', 'succeeded'],
      ]);
      // The browser's stream lived through it and saw the end.
      await Promise.race([stream.ended, sleep(15_000)]);
      stream.close();
      expect(stream.events.find((e) => e.event === 'end')?.data).toEqual({ status: 'succeeded' });

      // Both processes are alive and answering.
      expect(worker.process.exitCode).toBeNull();
      expect(server.process.exitCode).toBeNull();
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      // One line per event (a lost connection, a failed query and the recovery), no stack traces.
      for (const out of [worker.output(), server.output()]) expect(out).not.toMatch(/^\s+at /m);

      // A promotion afterwards starts at once: the worker hears of it on its new listening connection.
      const listening = (out: string) => out.match(/^signals: .*$/gm)?.at(-1) === 'signals: listening for changes again';
      await eventually(async () => listening(worker.output()) && listening(server.output()), 'both to listen again');
      await sleep(1_500);
      const next = await promote();
      const started = await eventually(async () => {
        const s = await step(next.id, 'slow');
        return s.started_at !== null && s;
      }, 'the new run to start');
      expect(Date.parse(started.started_at as string) - Date.parse(next.createdAt)).toBeLessThan(PROMPT_MS);
      expect((await finished(next.id)).status).toBe('succeeded');
    } finally {
      await Promise.all([server.stop(), worker.stop()]);
    }
  }, 120_000);
});

/** Terminates every backend connected to the database of `url`; returns how many. */
async function terminateBackends(url: string): Promise<number> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: ADMIN });
  await client.connect();
  try {
    const name = new URL(url).pathname.slice(1);
    const r = await client.query(
      'select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()) t',
      [name],
    );
    return (r.rows[0] as { n: number }).n;
  } finally {
    await client.end();
  }
}

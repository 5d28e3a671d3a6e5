import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { isConnectionError } from '../../platform/db/database.js';
import { type App, actorOf, errorResponses, Nullable } from '../../platform/http/app.js';
import { FINAL_RUN_STATUSES, RUN_STATUSES, STEP_KINDS, STEP_STATUSES } from './plan.js';
import type { RunDetail, StepLog } from './run.js';

const Str = Type.String();
const Strict = { additionalProperties: false } as const;

export const RunBody = Type.Object({
  id: Str,
  release: Str,
  product: Str,
  version: Str,
  environment: Str,
  plan: Str,
  status: Type.Enum([...RUN_STATUSES]),
  redeploy: Type.Boolean(),
  promoter: Str,
  scheduledAt: Nullable(Str),
  error: Nullable(Str),
  deployment: Nullable(Str),
  createdAt: Str,
  startedAt: Nullable(Str),
  finishedAt: Nullable(Str),
});

const StepBody = Type.Object({
  id: Str,
  phase: Type.Enum(['deploy', 'rollback']),
  key: Str,
  name: Str,
  kind: Type.Enum([...STEP_KINDS]),
  needs: Type.Array(Str),
  status: Type.Enum([...STEP_STATUSES]),
  attempt: Type.Integer(),
  maxAttempts: Type.Integer(),
  availableAt: Nullable(Str),
  worker: Nullable(Str),
  startedAt: Nullable(Str),
  finishedAt: Nullable(Str),
  error: Nullable(Str),
  result: Type.Unknown(),
  instructions: Nullable(Str),
  role: Nullable(Str),
});

export const RunDetailBody = Type.Object({ ...RunBody.properties, steps: Type.Array(StepBody) });

const LogBody = Type.Object({
  id: Str,
  step: Str,
  phase: Str,
  attempt: Type.Integer(),
  stream: Type.Enum(['stdout', 'stderr', 'system']),
  text: Str,
  at: Str,
});

const RunParams = Type.Object({ id: Type.String({ description: 'run id' }) });
const StepParams = Type.Object({ id: Type.String({ description: 'run id' }), step: Type.String({ description: 'step key' }) });
const detail = { 200: RunDetailBody, ...errorResponses };

export function runRoutes(app: App, { runs }: Services): void {
  app.post(
    '/promotions',
    {
      config: { permission: 'runs:write' },
      schema: {
        tags: ['runs'],
        description:
          "Promote a release into an environment: checks its gate and the calendar (blocked: 409 with reasons), then queues a run of the environment's plan.",
        body: Type.Object(
          {
            release: Type.String({ description: 'PRODUCT@VERSION' }),
            environment: Str,
            at: Type.Optional(Type.String({ description: 'ISO-8601 time to start (waits for the window if closed then)' })),
          },
          Strict,
        ),
        response: { 201: RunBody, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await runs.promote(req.body, actorOf(req))),
  );

  app.get(
    '/runs',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags: ['runs'],
        querystring: Type.Object({
          product: Type.Optional(Str),
          release: Type.Optional(Type.String({ description: 'PRODUCT@VERSION' })),
          environment: Type.Optional(Str),
          status: Type.Optional(Type.Enum([...RUN_STATUSES])),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
          cursor: Type.Optional(Str),
        }),
        response: { 200: Type.Object({ items: Type.Array(RunBody), nextCursor: Nullable(Str) }) },
      },
    },
    async (req) => {
      const { cursor, limit, ...filters } = req.query;
      const items = await runs.list({ ...filters, before: cursor, limit });
      return { items, nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null };
    },
  );

  app.get(
    '/runs/:id',
    { config: { permission: 'runs:read' }, schema: { tags: ['runs'], params: RunParams, response: detail } },
    async (req) => runs.show(req.params.id),
  );

  app.get(
    '/runs/:id/logs',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags: ['runs'],
        params: RunParams,
        querystring: Type.Object({
          after: Type.Optional(Type.String({ description: 'id of the last line already seen' })),
          step: Type.Optional(Str),
          limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(LogBody), nextCursor: Nullable(Str) }), ...errorResponses },
      },
    },
    async (req) => {
      const items = await runs.logs(req.params.id, req.query);
      return { items, nextCursor: items.length === req.query.limit ? (items.at(-1)?.id ?? null) : null };
    },
  );

  app.post(
    '/runs/:id/cancel',
    {
      config: { permission: 'runs:write' },
      schema: { tags: ['runs'], params: RunParams, body: Type.Object({ reason: Type.Optional(Str) }, Strict), response: detail },
    },
    async (req) => runs.cancel(req.params.id, actorOf(req), req.body.reason),
  );

  app.post(
    '/runs/:id/retry',
    {
      config: { permission: 'runs:write' },
      schema: { tags: ['runs'], params: RunParams, body: Type.Object({}, Strict), response: detail },
    },
    async (req) => runs.retry(req.params.id, actorOf(req)),
  );

  app.post(
    '/runs/:id/resume',
    {
      config: { permission: 'runs:write' },
      schema: { tags: ['runs'], params: RunParams, body: Type.Object({ reason: Type.String({ minLength: 1 }) }, Strict), response: detail },
    },
    async (req) => runs.resume(req.params.id, actorOf(req), req.body.reason),
  );

  app.post(
    '/runs/:id/steps/:step/confirm',
    {
      config: { permission: 'runs:write' },
      schema: {
        tags: ['runs'],
        params: StepParams,
        body: Type.Object({ note: Type.Optional(Str), role: Type.Optional(Str) }, Strict),
        response: detail,
      },
    },
    async (req) => runs.confirm(req.params.id, req.params.step, actorOf(req), req.body),
  );

  app.post(
    '/runs/:id/steps/:step/reject',
    {
      config: { permission: 'runs:write' },
      schema: {
        tags: ['runs'],
        params: StepParams,
        body: Type.Object({ reason: Type.String({ minLength: 1 }) }, Strict),
        response: detail,
      },
    },
    async (req) => runs.reject(req.params.id, req.params.step, actorOf(req), req.body.reason),
  );

  app.get(
    '/runs/:id/events',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags: ['runs'],
        description:
          'Server-sent events: `run` (the run with its steps, whenever it changes), `log` (each line of output), `end` (the run finished).',
        params: RunParams,
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      let run = await runs.show(id); // 404 before the stream starts
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const send = (event: string, data: unknown, eventId?: string) =>
        res.write(`${eventId ? `id: ${eventId}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      let lastLog = (req.headers['last-event-id'] as string | undefined) ?? undefined;
      let lastState = '';
      let closed = false;
      let busy = false;
      let again = false;
      const push = async () => {
        if (closed) return;
        if (busy) {
          again = true;
          return;
        }
        busy = true;
        try {
          do {
            again = false;
            run = await runs.show(id);
            const logs: StepLog[] = await runs.logs(id, { after: lastLog, limit: 1000 });
            for (const l of logs) send('log', l, l.id);
            lastLog = logs.at(-1)?.id ?? lastLog;
            const state = stateOf(run);
            if (state !== lastState) {
              lastState = state;
              send('run', run);
            }
            if ((FINAL_RUN_STATUSES as readonly string[]).includes(run.status) && logs.length < 1000) {
              send('end', { status: run.status });
              stop();
              res.end();
              return;
            }
          } while (again && !closed);
        } catch (error) {
          // The database restarting: the stream stays open, and the next signal or poll tries again.
          if (isConnectionError(error)) return;
          stop();
          res.end();
        } finally {
          busy = false;
        }
      };
      // Changes arrive at once: those of this process, and on PostgreSQL those of every process (NOTIFY). A poll
      // catches what no signal brings: other processes' changes on SQLite (every 500 ms), a missed notification
      // on PostgreSQL (the safety poll).
      const off = runs.engine.watchRun(id, () => void push());
      const poll = setInterval(() => void push(), runs.engine.pollMs(500));
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      const stop = () => {
        closed = true;
        off();
        clearInterval(poll);
        clearInterval(keepAlive);
      };
      req.raw.on('close', stop);
      await push();
    },
  );
}

function stateOf(run: RunDetail): string {
  return JSON.stringify([
    run.status,
    run.error,
    run.steps.map((s) => [s.status, s.attempt, s.error, s.result, s.startedAt, s.availableAt]),
  ]);
}

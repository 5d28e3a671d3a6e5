import Type, { type Static } from 'typebox';
import { KEY_PATTERN } from '../products/product.js';
import {
  DEFAULT_VERIFY_INTERVAL_MS,
  type HttpRequestSpec,
  type OnFailure,
  type PlanSpec,
  parseDurationMs,
  STEP_KINDS,
  type StepKind,
  type StepSpec,
} from './plan.js';

/**
 * The `plans:` section of railyard.yaml, and how a declared plan becomes the `PlanSpec` that `apply` stores and
 * the run engine reads. Rules the schema cannot express (one kind per step, needs, cycles, durations) are in
 * plan-rules.ts; `planSpecs` expects a file that passed them.
 */

const Key = (description: string) => Type.String({ pattern: KEY_PATTERN, description });
const Duration = (description: string) =>
  Type.String({ minLength: 1, description: `${description} ISO 8601 (PT30S, PT5M) or 30s, 5m, 1h.` });
const Argv = (description: string) =>
  Type.Array(Type.String(), { minItems: 1, description: `${description} Program and arguments, run without a shell.` });

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const Status = Type.Integer({ minimum: 100, maximum: 599 });

export const HttpRequestSchema = Type.Object(
  {
    method: Type.Optional(Type.Enum([...HTTP_METHODS], { description: 'HTTP method (default GET).' })),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${NAME} is how a plan writes a run variable, not a template.
    url: Type.String({ minLength: 1, description: 'http(s) URL; ${RAILYARD_ENV} and the other run variables are replaced.' }),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Request headers.' })),
    body: Type.Optional(
      Type.Union([Type.String(), Type.Object({}), Type.Array(Type.Unknown())], {
        description: 'Request body: text, or a mapping or list sent as JSON (with content-type: application/json).',
      }),
    ),
    expectStatus: Type.Optional(
      Type.Union([Status, Type.Array(Status, { minItems: 1 })], {
        description: 'Status, or statuses, that count as success (default 200–299).',
      }),
    ),
  },
  { additionalProperties: false, description: 'An HTTP request.' },
);

export const StepSchema = Type.Object(
  {
    key: Key('Unique within the plan (its steps and rollback steps together).'),
    name: Type.Optional(Type.String({ minLength: 1, description: 'Display name (defaults to the key).' })),
    needs: Type.Optional(
      Type.Array(Type.String({ pattern: KEY_PATTERN }), { description: 'Steps that must be done before this one starts.' }),
    ),
    // The kinds: a step has exactly one.
    run: Type.Optional(Argv('Kind run: a command.')),
    http: Type.Optional(HttpRequestSchema),
    manual: Type.Optional(
      Type.Union(
        [
          Type.String({ minLength: 1 }),
          Type.Object(
            {
              instructions: Type.String({ minLength: 1, description: 'What the person does, then confirms.' }),
              role: Type.Optional(Key('Role of the person who confirms it.')),
            },
            { additionalProperties: false },
          ),
        ],
        { description: 'Kind manual: a checklist item a person does and confirms (instructions, or {instructions, role}).' },
      ),
    ),
    approval: Type.Optional(
      Type.Union(
        [
          Type.Literal(true),
          Type.Object(
            {
              min: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'Approvals needed (default 1).' })),
              role: Type.Optional(Key('Role the approvers must have.')),
            },
            { additionalProperties: false },
          ),
        ],
        { description: 'Kind approval: the run waits for approvals (true, or {min, role}).' },
      ),
    ),
    wait: Type.Optional(
      Type.Union(
        [
          Duration('How long to wait.'),
          Type.Object(
            {
              duration: Type.Optional(Duration('How long to wait.')),
              window: Type.Optional(Type.Boolean({ description: 'Wait until the environment’s calendar window is open.' })),
            },
            { additionalProperties: false },
          ),
        ],
        { description: 'Kind wait: a duration, or {duration, window: true}.' },
      ),
    ),
    verify: Type.Optional(
      Type.Object(
        {
          http: Type.Optional(HttpRequestSchema),
          run: Type.Optional(Argv('A command that must exit 0.')),
          for: Type.Optional(Duration('How long the check must pass without a break (default PT0S: once).')),
          timeout: Type.Optional(Duration('Fail when it has not passed for that long by then (default PT5M).')),
          interval: Type.Optional(Duration('Time between checks (default PT1S).')),
        },
        {
          additionalProperties: false,
          description: 'Kind verify: repeat a check (http or run, one of them) until it passes continuously for a while.',
        },
      ),
    ),
    notify: Type.Optional(
      Type.Union(
        [
          Type.String({ minLength: 1 }),
          Type.Object(
            {
              message: Type.String({ minLength: 1, description: 'The message.' }),
              to: Type.Optional(
                Type.Array(Type.String({ minLength: 1 }), { description: 'Recipients (default: the product’s notify list).' }),
              ),
            },
            { additionalProperties: false },
          ),
        ],
        { description: 'Kind notify: send a message (text, or {message, to}).' },
      ),
    ),
    // Options of every kind.
    timeout: Type.Optional(Duration('Stop the attempt after this long (default: the kind’s).')),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 20, description: 'Attempts after a failed first one (default 0).' })),
    backoff: Type.Optional(Duration('Delay before the first retry, doubling each time (default PT1S).')),
    onFailure: Type.Optional(
      Type.Enum(['rollback', 'stop', 'continue'], {
        description: 'When it fails for good: rollback (default; run the rollback steps), stop, or continue with the others.',
      }),
    ),
    idempotent: Type.Optional(
      Type.Boolean({
        description: 'Safe to run twice (default: false for run and for http other than GET/HEAD, true otherwise).',
      }),
    ),
    secrets: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Environment variables of the worker passed to the step, their values redacted from its output.',
      }),
    ),
    env: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
        description: 'Environment variables for the step (names not starting with RAILYARD_).',
      }),
    ),
    cwd: Type.Optional(Type.String({ minLength: 1, description: 'Working directory of run commands.' })),
  },
  { additionalProperties: false },
);
export type StepDeclaration = Static<typeof StepSchema>;

export const PlanSchema = Type.Object(
  {
    key: Key('Unique key, named by environments (plan:) and products (plans:).'),
    name: Type.Optional(Type.String({ minLength: 1, description: 'Display name (defaults to the key).' })),
    description: Type.Optional(Type.String({ description: 'What the plan is for.' })),
    steps: Type.Array(StepSchema, { minItems: 1, description: 'The steps, run as their needs allow (in parallel otherwise).' }),
    rollback: Type.Optional(Type.Array(StepSchema, { description: 'Steps run when a step with onFailure: rollback fails.' })),
  },
  { additionalProperties: false },
);
export type PlanDeclaration = Static<typeof PlanSchema>;

export interface PlansSection {
  plans?: PlanDeclaration[];
}

export const DEFAULT_BACKOFF_MS = 1_000;
export const DEFAULT_VERIFY_TIMEOUT_MS = 5 * 60_000;
/** Any 2xx, spelled out: the engine checks `expectStatus.includes(status)`. */
export const DEFAULT_EXPECT_STATUS: readonly number[] = Array.from({ length: 100 }, (_, i) => 200 + i);

/** The kind keys a declared step has (exactly one when valid). */
export function kindsOf(step: StepDeclaration): StepKind[] {
  return STEP_KINDS.filter((k) => step[k] !== undefined);
}

export function planSpecs(config: PlansSection): PlanSpec[] {
  return (config.plans ?? []).map((p) => ({
    key: p.key,
    name: p.name ?? p.key,
    description: p.description ?? '',
    steps: p.steps.map((s) => stepSpec(s, 'steps')),
    rollback: (p.rollback ?? []).map((s) => stepSpec(s, 'rollback')),
  }));
}

function stepSpec(step: StepDeclaration, phase: 'steps' | 'rollback'): StepSpec {
  const kind = kindsOf(step)[0];
  if (kind === undefined) throw new Error(`step '${step.key}' has no kind: plan-rules should have rejected it`);
  // A rollback step cannot roll back: when it fails, the rollback stops there.
  const onFailure: OnFailure = step.onFailure ?? (phase === 'rollback' ? 'stop' : 'rollback');
  const spec: StepSpec = {
    key: step.key,
    name: step.name ?? step.key,
    kind,
    needs: [...(step.needs ?? [])],
    timeoutMs: step.timeout === undefined ? null : ms(step.timeout),
    retries: step.retries ?? 0,
    backoffMs: step.backoff === undefined ? DEFAULT_BACKOFF_MS : ms(step.backoff),
    onFailure,
    idempotent: step.idempotent ?? idempotentByDefault(step),
    secrets: [...(step.secrets ?? [])],
    env: Object.fromEntries(Object.entries(step.env ?? {}).map(([name, value]) => [name, String(value)])),
    cwd: step.cwd ?? null,
  };
  return { ...spec, ...kindFields(step, kind) };
}

function kindFields(step: StepDeclaration, kind: StepKind): Partial<StepSpec> {
  switch (kind) {
    case 'run':
      return { run: [...(step.run ?? [])] };
    case 'http':
      return step.http ? { http: httpSpec(step.http) } : {};
    case 'manual': {
      const m = step.manual;
      return {
        manual: typeof m === 'string' ? { instructions: m, role: null } : { instructions: m?.instructions ?? '', role: m?.role ?? null },
      };
    }
    case 'approval': {
      const a = step.approval === true ? {} : (step.approval ?? {});
      return { approval: { min: a.min ?? 1, role: a.role ?? null } };
    }
    case 'wait': {
      const w = typeof step.wait === 'string' ? { duration: step.wait } : (step.wait ?? {});
      return { wait: { ms: w.duration === undefined ? null : ms(w.duration), window: w.window ?? false } };
    }
    case 'verify': {
      const v = step.verify;
      return {
        verify: {
          http: v?.http ? httpSpec(v.http) : null,
          run: v?.run ? [...v.run] : null,
          forMs: v?.for === undefined ? 0 : ms(v.for),
          timeoutMs: v?.timeout === undefined ? DEFAULT_VERIFY_TIMEOUT_MS : ms(v.timeout),
          intervalMs: v?.interval === undefined ? DEFAULT_VERIFY_INTERVAL_MS : ms(v.interval),
        },
      };
    }
    case 'notify': {
      const n = step.notify;
      return { notify: typeof n === 'string' ? { message: n, to: [] } : { message: n?.message ?? '', to: [...(n?.to ?? [])] } };
    }
  }
}

function httpSpec(h: NonNullable<StepDeclaration['http']>): HttpRequestSpec {
  const headers = { ...(h.headers ?? {}) };
  let body: string | null = null;
  if (typeof h.body === 'string') body = h.body;
  else if (h.body !== undefined) {
    body = JSON.stringify(h.body);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const expect =
    h.expectStatus === undefined ? DEFAULT_EXPECT_STATUS : typeof h.expectStatus === 'number' ? [h.expectStatus] : h.expectStatus;
  return { method: h.method ?? 'GET', url: h.url, headers, body, expectStatus: [...new Set(expect)].sort((a, b) => a - b) };
}

/** Running a command or sending anything but GET/HEAD may change something; probes and people may repeat. */
function idempotentByDefault(step: StepDeclaration): boolean {
  if (step.run !== undefined) return false;
  if (step.http !== undefined) return (step.http.method ?? 'GET') === 'GET' || step.http.method === 'HEAD';
  return true;
}

function ms(text: string): number {
  const value = parseDurationMs(text);
  if (value === null) throw new Error(`'${text}' is not a duration: plan-rules should have rejected it`);
  return value;
}

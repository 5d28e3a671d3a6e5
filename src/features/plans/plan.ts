/**
 * Deployment plans: a DAG of steps (and rollback steps) that a run executes for a release into an
 * environment. This file holds the normalized shapes `apply` stores and the run engine reads, and the rules
 * that decide which steps may start. No I/O.
 */

export const STEP_KINDS = ['run', 'http', 'manual', 'approval', 'wait', 'verify', 'notify'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const ON_FAILURE = ['rollback', 'stop', 'continue'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

export interface HttpRequestSpec {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  /** Statuses that count as success. */
  expectStatus: number[];
}

export interface VerifySpec {
  http: HttpRequestSpec | null;
  run: string[] | null;
  /** How long the condition must hold without a break. */
  forMs: number;
  /** Give up (fail) when it has not held for `forMs` by then. */
  timeoutMs: number;
  /** Time between probes. */
  intervalMs: number;
}

export interface StepSpec {
  key: string;
  name: string;
  kind: StepKind;
  needs: string[];
  /** Kill the attempt after this long (null: the kind's default). */
  timeoutMs: number | null;
  /** Attempts after the first, and the delay before the first retry (doubling each time). */
  retries: number;
  backoffMs: number;
  onFailure: OnFailure;
  /** May run twice without harm; a non-idempotent step whose attempt outcome is unknown waits for a person. */
  idempotent: boolean;
  /** Names of the worker's environment variables passed to the step and redacted from its output. */
  secrets: string[];
  env: Record<string, string>;
  cwd: string | null;
  run?: string[];
  http?: HttpRequestSpec;
  manual?: { instructions: string; role: string | null };
  approval?: { min: number; role: string | null };
  wait?: { ms: number | null; window: boolean };
  verify?: VerifySpec;
  notify?: { message: string; to: string[] };
}

export interface PlanSpec {
  key: string;
  name: string;
  description: string;
  steps: StepSpec[];
  rollback: StepSpec[];
}

export const DEFAULT_STEP_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_VERIFY_INTERVAL_MS = 1_000;

const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const SHORT_DURATION = /^(?:\d+(?:ms|[dhms]))+$/;
const SHORT_UNITS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** `PT5S`, `PT2M`, `P1DT2H` (ISO 8601) or `5s`, `2m`, `1h30m`, `250ms`; null when it is neither. */
export function parseDurationMs(text: string): number | null {
  const iso = ISO_DURATION.exec(text);
  if (iso && text !== 'P' && !text.endsWith('T')) {
    const [, d, h, m, s] = iso;
    return (Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(m ?? 0) * 60) * 1000 + Math.round(Number(s ?? 0) * 1000);
  }
  if (SHORT_DURATION.test(text)) {
    let ms = 0;
    for (const part of text.matchAll(/(\d+)(ms|[dhms])/g)) ms += Number(part[1]) * (SHORT_UNITS[part[2] as string] ?? 0);
    return ms;
  }
  return null;
}

export function durationMsProblem(text: string): string | null {
  return parseDurationMs(text) === null ? `'${text}' is not a duration: write e.g. PT30S, PT5M, PT1H (or 30s, 5m, 1h)` : null;
}

/** `1m 30s` style, for messages. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  const parts: string[] = [];
  if (s >= 3600) parts.push(`${Math.floor(s / 3600)}h`);
  if (s % 3600 >= 60) parts.push(`${Math.floor((s % 3600) / 60)}m`);
  if (s % 60 || parts.length === 0) parts.push(`${s % 60}s`);
  return parts.join(' ');
}

/** The first cycle among `needs` (as keys, the first repeated at the end), or null. */
export function findStepCycle(steps: readonly { key: string; needs: readonly string[] }[]): string[] | null {
  const needs = new Map(steps.map((s) => [s.key, s.needs]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (key: string): string[] | null => {
    const st = state.get(key);
    if (st === 'done') return null;
    if (st === 'open') return [...path.slice(path.indexOf(key)), key];
    state.set(key, 'open');
    path.push(key);
    for (const next of needs.get(key) ?? []) {
      if (!needs.has(next)) continue;
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(key, 'done');
    return null;
  };
  for (const s of steps) {
    const cycle = visit(s.key);
    if (cycle) return cycle;
  }
  return null;
}

// ---- Runs and steps: states and the rules between them ----

export const RUN_STATUSES = [
  'scheduled',
  'queued',
  'running',
  'awaiting',
  'needs_attention',
  'rolling_back',
  'succeeded',
  'failed',
  'rolled_back',
  'cancelled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Runs that hold their environment's promotion slot (a run waiting for a person keeps it). */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['running', 'awaiting', 'needs_attention', 'rolling_back'];
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'rolled_back', 'cancelled'];

export const STEP_STATUSES = [
  'pending',
  'ready',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'skipped',
  'needs_attention',
  'cancelled',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** A step that no longer blocks its dependents. A failed step with onFailure: continue counts as done. */
export function isSettled(status: StepStatus, onFailure: OnFailure): boolean {
  return status === 'succeeded' || status === 'skipped' || (status === 'failed' && onFailure === 'continue');
}

export function isFinalStep(status: StepStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'skipped' || status === 'cancelled';
}

export interface StepState {
  key: string;
  needs: readonly string[];
  status: StepStatus;
  onFailure: OnFailure;
}

/** Pending steps whose every need is settled: they may start now. */
export function startableSteps(steps: readonly StepState[]): string[] {
  const byKey = new Map(steps.map((s) => [s.key, s]));
  return steps
    .filter((s) => s.status === 'pending')
    .filter((s) =>
      s.needs.every((n) => {
        const need = byKey.get(n);
        return need !== undefined && isSettled(need.status, need.onFailure);
      }),
    )
    .map((s) => s.key);
}

/** The kinds that wait for a person (manual, approval); a worker executes the others. */
export function needsPerson(kind: StepKind): boolean {
  return kind === 'manual' || kind === 'approval';
}

/** Delay before retry number `attempt` (1-based count of attempts made so far), doubling, capped at 10 minutes. */
export function backoffMs(base: number, attempt: number): number {
  return Math.min(base * 2 ** Math.max(0, attempt - 1), 600_000);
}

/** Variables every `run` step gets (and `http` steps can use as `${NAME}`). */
export interface RunVariables {
  RAILYARD_RUN_ID: string;
  RAILYARD_STEP_KEY: string;
  RAILYARD_ATTEMPT: string;
  RAILYARD_PRODUCT: string;
  RAILYARD_VERSION: string;
  RAILYARD_ENV: string;
  RAILYARD_IDEMPOTENCY_KEY: string;
}

export const RUN_VARIABLE_NAMES: readonly (keyof RunVariables)[] = [
  'RAILYARD_RUN_ID',
  'RAILYARD_STEP_KEY',
  'RAILYARD_ATTEMPT',
  'RAILYARD_PRODUCT',
  'RAILYARD_VERSION',
  'RAILYARD_ENV',
  'RAILYARD_IDEMPOTENCY_KEY',
];

/** Stable across attempts of one step of one run, so that a receiver can apply an effect once per key. */
export function idempotencyKey(runId: string, phase: string, stepKey: string): string {
  return `${runId}:${phase}:${stepKey}`;
}

/** Replaces `${NAME}` with values from `vars`; unknown names are left as written. */
export function interpolate(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/**
 * Replaces every occurrence of a secret value with `***` before output is stored. Values shorter than 4
 * characters are not secrets worth the name and would mangle ordinary text, so they are left alone. Longest
 * first: a secret that contains another would otherwise show the rest of itself around the `***`.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s.length >= 4) out = out.split(s).join('***');
  return redactTokens(out);
}

/**
 * Well-known token formats that a command may print without the plan declaring them (a CLI echoing its
 * credentials, a verbose HTTP client): GitHub, GitLab, Slack and AWS access keys, and the credentials of
 * Authorization headers. The recognisable prefix stays so the reader knows what was there.
 */
const TOKEN_PATTERNS: [RegExp, string][] = [
  [/\b(gh[pousr]_)[A-Za-z0-9]{30,}/g, '$1***'],
  [/\b(github_pat_)[A-Za-z0-9_]{20,}/g, '$1***'],
  [/\b(glpat-)[A-Za-z0-9_-]{20,}/g, '$1***'],
  [/\b(xox[abprs]-)[A-Za-z0-9-]{10,}/g, '$1***'],
  [/\b(AKIA)[0-9A-Z]{16}\b/g, '$1***'],
  [/(authorization:\s*(?:bearer|basic|token)\s+)[^\s"']+/gi, '$1***'],
];

export function redactTokens(text: string): string {
  let out = text;
  for (const [pattern, replacement] of TOKEN_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

import { performance } from 'node:perf_hooks';
import type { ClaimedStep, StepOutcome } from '../../src/features/plans/engine-service.js';
import { type ExecutionContext, executeStep } from '../../src/features/plans/step-executor.js';

export const STEPS = 5;
export const LOAD_ENVIRONMENTS = 10;
export const LOAD_PRODUCTS = 100;

export function envKey(i: number): string {
  return `b${String(i).padStart(2, '0')}`;
}

export function productKey(i: number): string {
  return `p${String(i).padStart(3, '0')}`;
}

/**
 * railyard.yaml for the plans benchmark: one plan of STEPS no-op steps in a chain (`wait: PT0S`, each needing the
 * one before), an environment `lat` for the latency runs (one product, `lat`), and LOAD_ENVIRONMENTS environments
 * with concurrency 100 for LOAD_PRODUCTS products — one active promotion per product and environment, so up to
 * LOAD_ENVIRONMENTS × LOAD_PRODUCTS runs at once.
 */
export function plansConfig(): string {
  const steps = Array.from({ length: STEPS }, (_, i) =>
    i === 0 ? '      - { key: s1, wait: PT0S }' : `      - { key: s${i + 1}, wait: PT0S, needs: [s${i}] }`,
  );
  const envs = Array.from(
    { length: LOAD_ENVIRONMENTS },
    (_, i) => `  - { key: ${envKey(i)}, tier: staging, concurrency: 100, plan: chain }`,
  );
  const products = Array.from({ length: LOAD_PRODUCTS }, (_, i) => `  - { key: ${productKey(i)} }`);
  return [
    'plans:',
    '  - key: chain',
    '    steps:',
    ...steps,
    'environments:',
    '  - { key: lat, tier: staging, plan: chain }',
    ...envs,
    'products:',
    '  - { key: lat }',
    ...products,
    '',
  ].join('\n');
}

interface Mark {
  start: number;
  end: number;
}

/**
 * Wraps the real step executor (`executeStep`: a `wait: PT0S` step returns success at once) and notes, per step,
 * when its attempt started and ended (performance.now()), and how often each step was executed.
 */
export class StepClock {
  readonly marks = new Map<string, Mark>();
  readonly calls = new Map<string, number>();
  private readonly ended: ((runId: string, key: string) => void)[] = [];

  readonly execute = async (step: ClaimedStep, ctx: ExecutionContext): Promise<StepOutcome> => {
    const mark: Mark = { start: performance.now(), end: Number.NaN };
    this.marks.set(`${step.runId}/${step.key}`, mark);
    this.calls.set(step.id, (this.calls.get(step.id) ?? 0) + 1);
    const outcome = await executeStep(step, ctx);
    mark.end = performance.now();
    for (const f of this.ended) f(step.runId, step.key);
    return outcome;
  };

  onEnded(f: (runId: string, key: string) => void): void {
    this.ended.push(f);
  }

  /**
   * For each step after the first of each run: from the end of the attempt of the step it needs to the start of
   * its own attempt, in ms. It spans the completion's transaction and commit, the wake-up, and the claim's
   * transaction and commit: what a no-op step costs on the critical path of a run.
   */
  gaps(runIds: readonly string[]): number[] {
    const out: number[] = [];
    for (const run of runIds) {
      for (let i = 2; i <= STEPS; i++) {
        const before = this.marks.get(`${run}/s${i - 1}`);
        const after = this.marks.get(`${run}/s${i}`);
        if (before && after) out.push(after.start - before.end);
      }
    }
    return out;
  }

  doubleExecutions(): number {
    let n = 0;
    for (const c of this.calls.values()) if (c > 1) n++;
    return n;
  }
}

/** Counts the lines the worker writes to stderr (each is an error it survived: a failed claim, a lost batch). */
export function countWorkerErrors(): { count(): number; restore(): void } {
  const write = process.stderr.write.bind(process.stderr);
  let n = 0;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (String(chunk).startsWith('worker ')) n++;
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  return {
    count: () => n,
    restore: () => {
      process.stderr.write = write;
    },
  };
}

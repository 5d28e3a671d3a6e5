import type { FieldProblem } from '../../platform/validation.js';
import { durationMsProblem, findStepCycle, formatMs, parseDurationMs, RUN_VARIABLE_NAMES, STEP_KINDS } from './plan.js';
import { DEFAULT_VERIFY_TIMEOUT_MS, kindsOf, type PlanDeclaration, type PlansSection, type StepDeclaration } from './plan-config.js';

/** The parts of railyard.yaml that plans are checked against. */
export interface PlanRulesInput extends PlansSection {
  environments?: { key: string; plan?: string }[];
  products?: { key: string; plans?: Record<string, string> }[];
}

type Path = (string | number)[];
type Phase = 'steps' | 'rollback';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_DURATION_MS = 366 * 86_400_000;

/**
 * Rules of plans a schema cannot express: unique keys, one kind per step, needs that name steps of the same
 * phase and make no cycle, durations, variable names, and references to plans from environments and products.
 */
export function planProblems(config: PlanRulesInput): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const planKeys = new Map<string, number>();
  (config.plans ?? []).forEach((plan, i) => {
    const earlier = planKeys.get(plan.key);
    if (earlier === undefined) planKeys.set(plan.key, i);
    else problems.push({ path: ['plans', i, 'key'], message: `duplicate plan key '${plan.key}' (also plans[${earlier}])` });
    problems.push(...planStepProblems(plan, ['plans', i]));
  });
  const unknownPlan = (key: string) =>
    `unknown plan '${key}'${planKeys.size ? ` (declared: ${[...planKeys.keys()].join(', ')})` : ' (no plans are declared)'}`;

  const envKeys = new Set((config.environments ?? []).map((e) => e.key));
  (config.environments ?? []).forEach((env, i) => {
    if (env.plan !== undefined && !planKeys.has(env.plan))
      problems.push({ path: ['environments', i, 'plan'], message: unknownPlan(env.plan) });
  });
  (config.products ?? []).forEach((product, i) => {
    for (const [env, plan] of Object.entries(product.plans ?? {})) {
      const at = ['products', i, 'plans', env];
      if (!envKeys.has(env)) {
        const declared = envKeys.size ? ` (declared: ${[...envKeys].join(', ')})` : ' (no environments are declared)';
        problems.push({ path: at, atKey: true, message: `unknown environment '${env}'${declared}` });
      }
      if (!planKeys.has(plan)) problems.push({ path: at, message: unknownPlan(plan) });
    }
  });
  return problems;
}

function planStepProblems(plan: PlanDeclaration, at: Path): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const phases: [Phase, StepDeclaration[]][] = [
    ['steps', plan.steps],
    ['rollback', plan.rollback ?? []],
  ];
  // Steps and rollback steps share one key space, so that a run's step keys are unique.
  const phaseOf = new Map<string, Phase>();
  const firstAt = new Map<string, string>();
  for (const [phase, steps] of phases) {
    steps.forEach((step, j) => {
      const earlier = firstAt.get(step.key);
      if (earlier !== undefined) {
        problems.push({ path: [...at, phase, j, 'key'], message: `duplicate step key '${step.key}' (also ${earlier})` });
      } else {
        firstAt.set(step.key, `${phase}[${j}]`);
        phaseOf.set(step.key, phase);
      }
    });
  }
  for (const [phase, steps] of phases) {
    steps.forEach((step, j) => {
      const stepAt = [...at, phase, j];
      problems.push(...kindProblems(step, stepAt), ...needsProblems(step, stepAt, phase, phaseOf));
      problems.push(...durationProblems(step, stepAt), ...optionProblems(step, stepAt, phase));
    });
    problems.push(...cycleProblems(steps, [...at, phase]));
  }
  return problems;
}

function kindProblems(step: StepDeclaration, at: Path): FieldProblem[] {
  const kinds = kindsOf(step);
  const problems: FieldProblem[] = [];
  if (kinds.length === 0) {
    problems.push({ path: at, message: `step '${step.key}' has no kind: give it one of ${STEP_KINDS.join(', ')}` });
  }
  for (const extra of kinds.slice(1)) {
    problems.push({
      path: [...at, extra],
      atKey: true,
      message: `a step has one kind, and this one already has ${kinds[0]}: make ${extra} a step of its own`,
    });
  }
  if (step.run?.[0] === '') problems.push({ path: [...at, 'run', 0], message: 'the program to run is empty' });
  if (step.http) problems.push(...urlProblems(step.http.url, [...at, 'http', 'url']));
  const verify = step.verify;
  if (verify) {
    if ((verify.http === undefined) === (verify.run === undefined)) {
      problems.push({ path: [...at, 'verify'], message: 'verify checks with either http: {url, …} or run: [command, …] (one of them)' });
    }
    if (verify.http) problems.push(...urlProblems(verify.http.url, [...at, 'verify', 'http', 'url']));
    if (verify.run?.[0] === '') problems.push({ path: [...at, 'verify', 'run', 0], message: 'the program to run is empty' });
  }
  const wait = step.wait;
  if (typeof wait === 'object' && wait.duration === undefined && wait.window !== true) {
    problems.push({ path: [...at, 'wait'], message: 'wait for a duration: PT10M, or until the window opens: { window: true }' });
  }
  return problems;
}

function needsProblems(step: StepDeclaration, at: Path, phase: Phase, phaseOf: Map<string, Phase>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  (step.needs ?? []).forEach((need, k) => {
    const path = [...at, 'needs', k];
    const needPhase = phaseOf.get(need);
    if (seen.has(need)) problems.push({ path, message: `'${need}' is listed twice` });
    else if (need === step.key) problems.push({ path, message: 'a step cannot need itself' });
    else if (needPhase === undefined) {
      const same = [...phaseOf].filter(([, p]) => p === phase).map(([k]) => k);
      problems.push({ path, message: `unknown step '${need}' (declared: ${same.join(', ')})` });
    } else if (needPhase !== phase) {
      problems.push({
        path,
        message:
          phase === 'rollback'
            ? `'${need}' is not a rollback step: rollback steps can only need rollback steps`
            : `'${need}' is a rollback step: steps can only need steps`,
      });
    }
    seen.add(need);
  });
  return problems;
}

/** Each duration field must parse; timeouts and intervals must be positive, and a verify must be able to pass. */
function durationProblems(step: StepDeclaration, at: Path): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const check = (text: string | undefined, path: Path, positive: boolean): number | undefined => {
    if (text === undefined) return undefined;
    const problem = durationMsProblem(text);
    if (problem) {
      problems.push({ path, message: problem });
      return undefined;
    }
    const ms = parseDurationMs(text) ?? 0;
    if (ms > MAX_DURATION_MS) problems.push({ path, message: `'${text}' is longer than 366 days` });
    else if (positive && ms === 0) problems.push({ path, message: 'must be longer than 0' });
    return ms;
  };
  check(step.timeout, [...at, 'timeout'], true);
  check(step.backoff, [...at, 'backoff'], false);
  if (typeof step.wait === 'string') check(step.wait, [...at, 'wait'], false);
  else check(step.wait?.duration, [...at, 'wait', 'duration'], false);
  const v = step.verify;
  if (v) {
    const forMs = check(v.for, [...at, 'verify', 'for'], false);
    const timeoutMs = check(v.timeout, [...at, 'verify', 'timeout'], true);
    check(v.interval, [...at, 'verify', 'interval'], true);
    const effectiveTimeout = v.timeout === undefined ? DEFAULT_VERIFY_TIMEOUT_MS : timeoutMs;
    if (forMs !== undefined && effectiveTimeout !== undefined && forMs > effectiveTimeout) {
      problems.push({
        path: [...at, 'verify', v.timeout === undefined ? 'for' : 'timeout'],
        message: `the check must pass for ${formatMs(forMs)} but times out after ${formatMs(effectiveTimeout)}: it could never pass`,
      });
    }
  }
  return problems;
}

function optionProblems(step: StepDeclaration, at: Path, phase: Phase): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (phase === 'rollback' && step.onFailure === 'rollback') {
    problems.push({ path: [...at, 'onFailure'], message: 'a rollback step cannot roll back: use stop (the default) or continue' });
  }
  for (const name of Object.keys(step.env ?? {})) {
    const path = [...at, 'env', name];
    if (!ENV_NAME.test(name)) {
      problems.push({ path, atKey: true, message: `'${name}' is not a variable name: letters, digits and _, not starting with a digit` });
    } else if (/^RAILYARD_/i.test(name)) {
      problems.push({
        path,
        atKey: true,
        message: `'${name}': names starting with RAILYARD_ are reserved for the variables Railyard sets`,
      });
    }
  }
  (step.secrets ?? []).forEach((name, k) => {
    const path = [...at, 'secrets', k];
    if (!ENV_NAME.test(name)) {
      problems.push({ path, message: `'${name}' is not a variable name: letters, digits and _, not starting with a digit` });
    } else if ((RUN_VARIABLE_NAMES as readonly string[]).includes(name)) {
      problems.push({ path, message: `'${name}' is set by Railyard for every run: it cannot be a secret` });
    } else if (step.env?.[name] !== undefined) {
      problems.push({ path, message: `'${name}' is also set under env: give it one value, in one place` });
    }
  });
  return problems;
}

/** A cycle among a phase's needs, reported at the first step's entry naming the next step of the cycle. */
function cycleProblems(steps: StepDeclaration[], at: Path): FieldProblem[] {
  const graph = steps.map((s) => ({ key: s.key, needs: (s.needs ?? []).filter((n) => n !== s.key) }));
  const cycle = findStepCycle(graph);
  if (!cycle) return [];
  const [first, next] = cycle;
  const j = steps.findIndex((s) => s.key === first);
  const k = steps[j]?.needs?.indexOf(next ?? '') ?? 0;
  return [{ path: [...at, j, 'needs', k], message: `needs make a cycle: ${cycle.join(' → ')}` }];
}

function urlProblems(url: string, path: Path): FieldProblem[] {
  // Run variables are filled in later: check the URL with a stand-in that is valid as a host, port or path.
  const filled = url.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/g, '1');
  let parsed: URL;
  try {
    parsed = new URL(filled);
  } catch {
    return [{ path, message: `'${url}' is not a URL: write e.g. https://example.com/health` }];
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return [{ path, message: `'${url}' is not an http or https URL` }];
  }
  return [];
}

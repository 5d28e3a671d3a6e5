import type { FieldProblem } from '../../platform/validation.js';
import { celSyntaxProblem } from './cel.js';
import { durationProblem } from './duration.js';
import type { GatesSection } from './gate-config.js';

/** Rules of the gates section a schema cannot express; CEL is parsed here so syntax errors stop `apply`. */
export function gateProblems(config: GatesSection): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const envKeys = new Set((config.environments ?? []).map((e) => e.key));
  const seenEnv = new Map<string, number>();
  (config.gates ?? []).forEach((gate, i) => {
    if (!envKeys.has(gate.environment)) {
      problems.push({
        path: ['gates', i, 'environment'],
        message: `unknown environment '${gate.environment}' (declared: ${[...envKeys].join(', ') || 'none'})`,
      });
    }
    const earlier = seenEnv.get(gate.environment);
    if (earlier !== undefined) {
      problems.push({
        path: ['gates', i, 'environment'],
        message: `environment '${gate.environment}' already has a gate (gates[${earlier}]): list all its checks there`,
      });
    } else seenEnv.set(gate.environment, i);
    const names = new Set<string>();
    gate.checks.forEach((check, j) => {
      const at = ['gates', i, 'checks', j];
      if (names.has(check.name)) problems.push({ path: [...at, 'name'], message: `duplicate check name '${check.name}'` });
      names.add(check.name);
      if ((check.cel === undefined) === (check.builtin === undefined)) {
        problems.push({ path: at, message: 'a check has either cel: EXPRESSION or builtin: NAME (one of them)' });
      }
      if (check.cel !== undefined) {
        const p = celSyntaxProblem(check.cel);
        if (p) problems.push({ path: [...at, 'cel'], message: p });
      }
      if (check.from !== undefined && !envKeys.has(check.from)) {
        problems.push({ path: [...at, 'from'], message: `unknown environment '${check.from}'` });
      }
      if (check.min !== undefined) {
        const p = durationProblem(check.min);
        if (p) problems.push({ path: [...at, 'min'], message: p });
      }
      if ((check.from !== undefined || check.min !== undefined) && check.builtin !== 'soak') {
        problems.push({ path: at, message: 'from and min belong to builtin: soak' });
      }
    });
  });
  const keys = new Set<string>();
  (config.reviews ?? []).forEach((r, i) => {
    const key = r.key ?? r.kind;
    if (keys.has(key)) {
      problems.push({
        path: ['reviews', i, r.key ? 'key' : 'kind'],
        message: `duplicate review template '${key}' (give one of them another key:)`,
      });
    }
    keys.add(key);
  });
  return problems;
}

import { type ASTNode, Environment } from '@marcbachmann/cel-js';

/**
 * The CEL environment gates run in. Variables are dynamic (evidence shapes are documented, not declared), so
 * a missing one fails at evaluation and the check is unknown. `soak(env)` reads the facts of the evaluation
 * in progress: evaluation is synchronous, so one slot is enough.
 */
let currentSoak: Record<string, number | null> = {};

const environment = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false }).registerFunction(
  'soak(string): double',
  (env: string) => {
    const hours = currentSoak[env];
    if (hours === undefined || hours === null) throw new Error(`soak("${env}") is unknown: the release has not reached ${env}`);
    return hours;
  },
);

export interface Compiled {
  run(context: Record<string, unknown>, soak: Record<string, number | null>): unknown;
  /** Variable paths the expression reads (`tests.failed`), for the values shown with a result. */
  paths: string[];
}

const cache = new Map<string, Compiled>();

/** Compiles once per expression text; gates evaluate the same few expressions for every release. */
export function compile(expression: string): Compiled {
  const hit = cache.get(expression);
  if (hit) return hit;
  const program = environment.parse(expression);
  const paths = new Set<string>();
  collectPaths(program.ast as ASTNode, paths);
  const compiled: Compiled = {
    run(context, soak) {
      currentSoak = soak;
      try {
        return program(context);
      } finally {
        currentSoak = {};
      }
    },
    paths: [...paths],
  };
  cache.set(expression, compiled);
  return compiled;
}

/** Null when the expression parses; otherwise the problem and where in the expression it is. */
export function celSyntaxProblem(expression: string): string | null {
  try {
    environment.parse(expression);
    return null;
  } catch (error) {
    const e = error as Error & { range?: { start: number } };
    const first = e.message.split('\n')[0] ?? e.message;
    if (e.range === undefined) return `CEL: ${first}`;
    const before = expression.slice(0, e.range.start);
    const line = before.split('\n').length;
    const column = e.range.start - before.lastIndexOf('\n');
    const where = expression.includes('\n') ? `line ${line}, column ${column}` : `column ${column}`;
    return `CEL syntax error at ${where} of the expression: ${first}`;
  }
}

function collectPaths(node: ASTNode | undefined, out: Set<string>): void {
  if (!node || typeof node !== 'object') return;
  const path = pathOf(node);
  if (path) {
    out.add(path);
    return;
  }
  const args = (node as { args: unknown }).args;
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object' && 'op' in v) collectPaths(v as ASTNode, out);
  };
  visit(args);
}

/** `a.b.c` for a chain of field selections on a variable; null for anything else. */
function pathOf(node: ASTNode): string | null {
  const n = node as { op: string; args: unknown };
  if (n.op === 'id') return String(n.args);
  if (n.op === '.') {
    const [target, field] = n.args as [ASTNode, string];
    const base = pathOf(target);
    return base ? `${base}.${field}` : null;
  }
  return null;
}

/** Reads a path such as `tests.failed` from the context; undefined when any part is missing. */
export function valueAt(context: Record<string, unknown>, path: string): unknown {
  let v: unknown = context;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || !(part in (v as object))) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

import validRange from 'semver/ranges/valid.js';

/*
 * The rules of product dependencies (products[].dependsOn). Apart from product.ts so that the commands that
 * only need a product's keys and tag format do not load semver's range machinery.
 */

export function rangeProblem(range: string): string | null {
  return validRange(range) === null ? `'${range}' is not a valid semver range` : null;
}

/**
 * Finds a dependency cycle in a product graph (key → keys it depends on) and returns it as a path that
 * starts and ends at the same key, or null when the graph is acyclic.
 */
export function findDependencyCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    const s = state.get(node);
    if (s === 'done') return null;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDependencyCycle, rangeProblem } from './dependency.js';

describe('product dependency rules', () => {
  it('dependency ranges must be semver ranges', () => {
    expect(rangeProblem('>=1.2.0 <2')).toBeNull();
    expect(rangeProblem('^3')).toBeNull();
    expect(rangeProblem('newest')).toMatch(/not a valid semver range/);
  });

  it('finds a cycle and returns it as a closed path', () => {
    const graph = new Map([
      ['web', ['api']],
      ['api', ['db']],
      ['db', ['web']],
      ['tools', []],
    ]);
    expect(findDependencyCycle(graph)).toEqual(['web', 'api', 'db', 'web']);
    expect(
      findDependencyCycle(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toBeNull();
  });

  it('agrees with a brute-force reachability check on random graphs', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(7), fc.nat(7)), { maxLength: 20 }), (edges) => {
        const graph = new Map<string, string[]>();
        for (let i = 0; i < 8; i++) graph.set(`p${i}`, []);
        for (const [a, b] of edges) if (a !== b) graph.get(`p${a}`)?.push(`p${b}`);
        const reaches = (from: string, to: string): boolean => {
          const seen = new Set<string>();
          const queue = [...(graph.get(from) ?? [])];
          while (queue.length) {
            const n = queue.shift() as string;
            if (n === to) return true;
            if (!seen.has(n)) {
              seen.add(n);
              queue.push(...(graph.get(n) ?? []));
            }
          }
          return false;
        };
        const hasCycle = [...graph.keys()].some((k) => reaches(k, k));
        const cycle = findDependencyCycle(graph);
        expect(cycle !== null).toBe(hasCycle);
        if (cycle) {
          expect(cycle[0]).toBe(cycle.at(-1));
          for (let i = 0; i < cycle.length - 1; i++) expect(graph.get(cycle[i] as string)).toContain(cycle[i + 1]);
        }
      }),
    );
  });
});

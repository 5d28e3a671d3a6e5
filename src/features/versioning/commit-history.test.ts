import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cancelReverts, normalizePath, ReachTracker, ReleaseAssigner, touches } from './commit-history.js';
import { LogDecoder } from './git-log.js';

const commit = (hash: string, header: string, reverts: { hash: string | null; header: string | null } | null = null) => ({
  hash,
  header,
  reverts,
});

describe('reverts cancel out inside a range', () => {
  it('drops a commit and its revert when both are in the range (newest first)', () => {
    const list = [commit('c3', 'fix: b'), commit('c2', 'Revert "feat: a"', { hash: 'c1', header: 'feat: a' }), commit('c1', 'feat: a')];
    expect(cancelReverts(list).map((c) => c.hash)).toEqual(['c3']);
  });

  it('keeps a revert whose reverted commit is in an earlier release', () => {
    const list = [commit('c2', 'Revert "feat: a"', { hash: 'c0', header: 'feat: a' }), commit('c1', 'fix: b')];
    expect(cancelReverts(list).map((c) => c.hash)).toEqual(['c2', 'c1']);
  });

  it('matches abbreviated hashes, and the quoted header when there is no hash', () => {
    const full = 'abcdef0123456789abcdef0123456789abcdef01';
    expect(cancelReverts([commit('r', 'revert: x', { hash: 'abcdef0', header: null }), commit(full, 'feat: x')])).toEqual([]);
    expect(cancelReverts([commit('r', 'revert: feat: x', { hash: null, header: 'feat: x' }), commit('a', 'feat: x')])).toEqual([]);
  });

  it('a revert of a revert brings the change back: the original stays', () => {
    const list = [
      commit('c3', 'Reapply "feat: a"', { hash: 'c2', header: null }),
      commit('c2', 'Revert "feat: a"', { hash: 'c1', header: 'feat: a' }),
      commit('c1', 'feat: a'),
    ];
    expect(cancelReverts(list).map((c) => c.hash)).toEqual(['c1']);
  });

  it('an even chain of reverts cancels entirely, an odd one leaves the original', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), (n) => {
        const list = [commit('h0', 'feat: a')];
        for (let i = 1; i <= n; i++) list.unshift(commit(`h${i}`, `revert ${i}`, { hash: `h${i - 1}`, header: null }));
        const left = cancelReverts(list).map((c) => c.hash);
        expect(left).toEqual(n % 2 === 0 ? ['h0'] : []);
      }),
    );
  });
});

describe('assigning commits to releases in one walk', () => {
  // History (children before parents):  H → M(merge of F2, T2) ; T2 tagged 2 ; F2 → F1 → A ; T2 → B → T1(tagged 1) → A → R
  const walk: [string, string[]][] = [
    ['H', ['M']],
    ['M', ['T2', 'F2']],
    ['F2', ['F1']],
    ['T2', ['B']],
    ['F1', ['A']],
    ['B', ['T1']],
    ['T1', ['A']],
    ['A', ['R']],
    ['R', []],
  ];

  it('gives each commit the lowest release that reaches it; commits after the last tag are unreleased', () => {
    const assigner = new ReleaseAssigner(
      new Map([
        ['T1', 0],
        ['T2', 1],
      ]),
    );
    const got = Object.fromEntries(walk.map(([h, p]) => [h, assigner.assign(h, p)]));
    expect(got).toEqual({ H: Infinity, M: Infinity, F2: Infinity, F1: Infinity, T2: 1, B: 1, T1: 0, A: 0, R: 0 });
  });

  it('agrees with reachability on random histories', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(), { maxLength: 2 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (raw, tagPicks) => {
          // Commit i's parents are older commits (< i); listing from newest to oldest is a valid topological order.
          const parents = raw.map((ps, i) => (i === 0 ? [] : [...new Set(ps.map((p) => p % i))]));
          const tagged = [...new Set(tagPicks.map((t) => t % raw.length))].sort((a, b) => a - b);
          const tagAt = new Map(tagged.map((c, idx) => [`c${c}`, idx]));
          const reach = (from: number) => {
            const seen = new Set<number>([from]);
            const stack = [from];
            while (stack.length) {
              for (const p of parents[stack.pop() as number] ?? []) {
                if (!seen.has(p)) {
                  seen.add(p);
                  stack.push(p);
                }
              }
            }
            return seen;
          };
          // git walks the commits reachable from the newest one, children first (here: descending index).
          const walked = [...reach(raw.length - 1)].sort((a, b) => b - a);
          const assigner = new ReleaseAssigner(tagAt);
          const assigned = new Map<number, number>();
          const bounds: number[] = [];
          for (const i of walked) {
            assigned.set(
              i,
              assigner.assign(
                `c${i}`,
                (parents[i] ?? []).map((p) => `c${p}`),
              ),
            );
            bounds.push(assigner.highestPending());
          }
          // Tags off the walked line (not reachable from the tip) are not its releases.
          for (const i of walked) {
            const lowest = tagged.findIndex((t) => walked.includes(t) && reach(t).has(i));
            expect(assigned.get(i)).toBe(lowest === -1 ? Infinity : lowest);
          }
          // The bound never goes up, and no later commit belongs to a release above it: releases above are complete.
          walked.forEach((_, k) => {
            if (k > 0) expect(bounds[k]).toBeLessThanOrEqual(bounds[k - 1] as number);
            for (const later of walked.slice(k + 1)) expect(assigned.get(later)).toBeLessThanOrEqual(bounds[k] as number);
          });
          expect(bounds.at(-1)).toBe(-1);
        },
      ),
    );
  });

  it('tells a walk that listed children before parents from one that did not', () => {
    const inOrder = new ReleaseAssigner(new Map());
    for (const [h, p] of walk) inOrder.assign(h, p);
    expect(inOrder.inOrder()).toBe(true);
    // A after its child F1 but before its child T1: T1 puts it back on the frontier, where it stays.
    const late = new ReleaseAssigner(new Map());
    for (const [h, p] of [walk[0], walk[1], walk[2], walk[3], walk[4], walk[7], walk[5], walk[6], walk[8]] as [string, string[]][]) {
      late.assign(h, p);
    }
    expect([late.outOfOrder(), late.inOrder()]).toEqual([false, false]);
    // F1 before F2, its only child: known at once.
    const early = new ReleaseAssigner(new Map());
    for (const [h, p] of [walk[0], walk[1], walk[4]] as [string, string[]][]) early.assign(h, p);
    expect(early.outOfOrder()).toBe(true);
  });

  it('is in order exactly when no commit comes before a child of it, on random histories and orders', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(), { maxLength: 2 }), { minLength: 1, maxLength: 30 }), fc.array(fc.nat()), (raw, swaps) => {
        const parents = raw.map((ps, i) => (i === 0 ? [] : [...new Set(ps.map((p) => p % i))]));
        const seen = new Set<number>([raw.length - 1]);
        const stack = [raw.length - 1];
        while (stack.length) for (const p of parents[stack.pop() as number] ?? []) if (!seen.has(p) && seen.add(p)) stack.push(p);
        // A topological order (descending index) shuffled by some swaps that keep the tip first.
        const order = [...seen].sort((a, b) => b - a);
        for (const k of swaps) {
          const i = 1 + (k % Math.max(1, order.length - 1));
          const j = 1 + ((k >> 3) % Math.max(1, order.length - 1));
          if (i < order.length && j < order.length) [order[i], order[j]] = [order[j] as number, order[i] as number];
        }
        const position = new Map(order.map((c, k) => [c, k]));
        const topological = order.every((c, k) => (parents[c] ?? []).every((p) => (position.get(p) as number) > k));
        const assigner = new ReleaseAssigner(new Map());
        for (const c of order)
          assigner.assign(
            `c${c}`,
            (parents[c] ?? []).map((p) => `c${p}`),
          );
        expect(assigner.inOrder()).toBe(topological);
      }),
    );
  });
});

describe('reachability of several products at once', () => {
  it('marks commits behind each product’s base and says when the rest cannot matter', () => {
    // C3 → C2 (base of product 0) → C1 (base of product 1) → C0
    const t = new ReachTracker(
      new Map([
        ['C2', 1n],
        ['C1', 2n],
      ]),
      3n,
    );
    expect(t.visit('C3', ['C2'])).toBe(0n);
    expect(t.done()).toBe(false);
    expect(t.visit('C2', ['C1'])).toBe(1n);
    expect(t.done()).toBe(false);
    expect(t.visit('C1', ['C0'])).toBe(3n);
    expect(t.done()).toBe(true);
  });
});

describe('paths', () => {
  it('normalises folders and matches files below them only', () => {
    expect(normalizePath('./packages/web/')).toBe('packages/web');
    expect(normalizePath('.')).toBeNull();
    expect(touches(['packages/web/a.ts'], 'packages/web')).toBe(true);
    expect(touches(['packages/webshop/a.ts'], 'packages/web')).toBe(false);
    expect(touches([], null)).toBe(true);
  });
});

describe('git log decoding', () => {
  const record = (hash: string, parents: string, message: string, files: string[] = []) =>
    `\x1e${hash}\0${parents}\0Ada\0ada@example.com\0${1_700_000_000}\0${message}\0${files.length ? `\n${files.join('\0')}\0` : ''}`;

  it('decodes records and --name-only files, however the stream is cut into chunks', () => {
    const stream =
      record('a1', 'b2 c3', 'Merge x\n') + record('b2', 'c3', 'feat: y\n\nbody\n', ['src/a.ts', 'src/b.ts']) + record('c3', '', 'root');
    fc.assert(
      fc.property(fc.array(fc.nat(stream.length), { maxLength: 6 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const decoder = new LogDecoder();
        const out = [];
        let last = 0;
        for (const p of [...points, stream.length]) {
          out.push(...decoder.push(Buffer.from(stream.slice(last, p))));
          last = p;
        }
        out.push(...decoder.end());
        expect(out.map((c) => [c.hash, c.parents, c.files, c.message])).toEqual([
          ['a1', ['b2', 'c3'], [], 'Merge x\n'],
          ['b2', ['c3'], ['src/a.ts', 'src/b.ts'], 'feat: y\n\nbody\n'],
          ['c3', [], [], 'root'],
        ]);
      }),
    );
  });

  it('keeps multi-byte characters split across chunks, and flags bytes that are not UTF-8', () => {
    const bytes = Buffer.from(record('a1', '', 'feat: café ✓'));
    const decoder = new LogDecoder();
    const mid = bytes.indexOf(Buffer.from('✓')) + 1;
    const out = [...decoder.push(bytes.subarray(0, mid)), ...decoder.push(bytes.subarray(mid)), ...decoder.end()];
    expect(out[0]).toMatchObject({ message: 'feat: café ✓', invalidUtf8: false });
    const latin1 = Buffer.concat([Buffer.from('\x1ea1\0\0A\0a@b\x001\0fix: caf'), Buffer.from([0xe9]), Buffer.from(' au lait')]);
    const bad = new LogDecoder();
    expect([...bad.push(latin1), ...bad.end()][0]).toMatchObject({ message: 'fix: caf\uFFFD au lait', invalidUtf8: true });
  });
});

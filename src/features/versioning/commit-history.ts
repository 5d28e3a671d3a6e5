import { type CommitMessage, parseCommitMessage } from './conventional-commit.js';
import type { RawCommit } from './git-log.js';

/** A commit as notes and version rules see it: git's facts plus what its message says. */
export interface ParsedCommit extends CommitMessage {
  hash: string;
  /** The message's first line as written (revert messages quote it). */
  header: string;
  authorName: string;
  authorEmail: string;
  time: number;
  merge: boolean;
  invalidUtf8: boolean;
}

export function readCommit(raw: RawCommit): ParsedCommit {
  const m = parseCommitMessage(raw.message);
  const nl = raw.message.indexOf('\n');
  // Every field written out (no spread): all commits get one object shape, which keeps later passes fast.
  return {
    type: m.type,
    scope: m.scope,
    subject: m.subject,
    conventional: m.conventional,
    breaking: m.breaking,
    breakingNote: m.breakingNote,
    pr: m.pr,
    issues: m.issues,
    coAuthors: m.coAuthors,
    reverts: m.reverts,
    hash: raw.hash,
    header: (nl === -1 ? raw.message : raw.message.slice(0, nl)).trim(),
    authorName: raw.authorName,
    authorEmail: raw.authorEmail,
    time: raw.time,
    merge: raw.parents.length > 1,
    invalidUtf8: raw.invalidUtf8,
  };
}

/** Normalises a folder inside the repository: no leading `./`, no trailing `/`; `.` and `` mean everything. */
export function normalizePath(path: string | null | undefined): string | null {
  if (!path) return null;
  const p = path
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
  return p === '' || p === '.' ? null : p;
}

/** Whether a commit that changed `files` (paths from the repository's top) touches `folder`. */
export function touches(files: readonly string[], folder: string | null): boolean {
  if (folder === null) return true;
  const prefix = `${folder}/`;
  for (const f of files) if (f === folder || f.startsWith(prefix)) return true;
  return false;
}

/**
 * Drops every revert whose reverted commit is in the same list, together with that commit: a change made
 * and undone inside one release is not in it. `commits` is newest first (git log's order), so a revert of
 * a revert is matched before the revert it undoes, and the original change correctly stays.
 */
export function cancelReverts<T extends Pick<ParsedCommit, 'hash' | 'header' | 'reverts'>>(commits: readonly T[]): T[] {
  if (!commits.some((c) => c.reverts)) return [...commits];
  const position = new Map<string, number>();
  const byHeader = new Map<string, number[]>();
  commits.forEach((c, i) => {
    position.set(c.hash, i);
    const list = byHeader.get(c.header);
    if (list) list.push(i);
    else byHeader.set(c.header, [i]);
  });
  const cancelled = new Uint8Array(commits.length);
  const targetOf = (i: number, reverts: NonNullable<T['reverts']>): number | undefined => {
    if (reverts.hash) {
      const exact = position.get(reverts.hash);
      if (exact !== undefined) return exact;
      if (reverts.hash.length < 40) {
        const j = commits.findIndex((c, k) => k > i && c.hash.startsWith(reverts.hash as string));
        if (j !== -1) return j;
      }
      return undefined;
    }
    // Without a hash, the quoted first line names it: the newest older commit with that line.
    return byHeader.get(reverts.header ?? '')?.find((j) => j > i && cancelled[j] === 0);
  };
  commits.forEach((c, i) => {
    if (!c.reverts || cancelled[i]) return;
    const j = targetOf(i, c.reverts);
    if (j === undefined || j <= i || cancelled[j]) return;
    cancelled[i] = 1;
    cancelled[j] = 1;
  });
  return commits.filter((_, i) => cancelled[i] === 0);
}

/**
 * Assigns each commit to the lowest release whose tag reaches it, in one pass over a history listed
 * children before parents. A commit's release is the smallest of its own tag's and its children's; it is
 * passed on to its parents. Only the frontier of the walk is kept, so the work is O(commits + parent links)
 * and the memory the width of the history, not its length.
 *
 * Every commit still to come is an ancestor of a frontier commit, so its release is at most the highest
 * release on the frontier (`highestPending`), which never goes up: a release above it is complete.
 *
 * `git log --topo-order` guarantees children before parents; git's default order (by commit date) gives it
 * whenever commit dates follow the history, and the assigner tells when they did not (`inOrder`): a commit
 * listed before one of its children is put back on the frontier by that child and is still there at the end.
 */
export class ReleaseAssigner {
  private readonly pending = new Map<string, number>();
  /** How many frontier commits carry each release; the last slot counts `Infinity` (unreleased). */
  private readonly counts: Int32Array;
  private top: number;
  private visited = 0;
  /** A commit came before all of its children (none had put it on the frontier). */
  private early = false;

  /** @param tagAt commit hash → index of the release tagged there (releases in ascending version order). */
  constructor(private readonly tagAt: ReadonlyMap<string, number>) {
    let top = -1;
    for (const i of tagAt.values()) if (i > top) top = i;
    this.top = top;
    this.counts = new Int32Array(top + 2);
  }

  /** The release index of this commit; `Infinity` when no tag reaches it (not released yet). */
  assign(hash: string, parents: readonly string[]): number {
    const pending = this.pending.get(hash);
    let release = pending ?? Number.POSITIVE_INFINITY;
    if (pending === undefined) {
      // Only the first commit of the walk (its start) has no child before it.
      if (this.visited > 0) this.early = true;
    } else {
      this.pending.delete(hash);
      this.count(release, -1);
    }
    this.visited++;
    const own = this.tagAt.get(hash);
    if (own !== undefined && own < release) release = own;
    for (const p of parents) {
      const seen = this.pending.get(p);
      if (seen !== undefined && seen <= release) continue;
      if (seen !== undefined) this.count(seen, -1);
      this.pending.set(p, release);
      this.count(release, 1);
    }
    return release;
  }

  /**
   * Whether the walk listed every commit after all of its children, as the assignment needs; complete once
   * the whole history was walked (a commit that came too early is found when a later child re-adds it).
   */
  inOrder(): boolean {
    return !this.early && this.pending.size === 0;
  }

  /** A commit already came before all of its children: the walk is out of order, whatever follows. */
  outOfOrder(): boolean {
    return this.early;
  }

  /** The highest release a commit still to come can belong to (-1 when the walk has nothing left). */
  highestPending(): number {
    if ((this.counts[this.counts.length - 1] ?? 0) > 0) return Number.POSITIVE_INFINITY;
    while (this.top >= 0 && !this.counts[this.top]) this.top--;
    return this.top;
  }

  private count(release: number, delta: number): void {
    const slot = release === Number.POSITIVE_INFINITY ? this.counts.length - 1 : release;
    this.counts[slot] = (this.counts[slot] ?? 0) + delta;
  }
}

/**
 * For several products at once: which commits are reachable from each product's base tag, as bit masks
 * (bit i = product i), in one pass over a history listed children before parents. Once every commit still
 * to come is reachable from every base, the rest of the history cannot matter and the walk can stop.
 */
export class ReachTracker {
  private readonly pending = new Map<string, bigint>();
  private partial = 0;

  /** @param own commit hash → bits of the products whose base tag is at it; `all` has every product's bit. */
  constructor(
    private readonly own: ReadonlyMap<string, bigint>,
    private readonly all: bigint,
  ) {}

  /** The products whose base tag reaches this commit. */
  visit(hash: string, parents: readonly string[]): bigint {
    let mask = this.pending.get(hash) ?? 0n;
    if (this.pending.delete(hash) && mask !== this.all) this.partial--;
    mask |= this.own.get(hash) ?? 0n;
    for (const p of parents) {
      const before = this.pending.get(p);
      const after = (before ?? 0n) | mask;
      if (before === after) continue;
      if (before === undefined ? after !== this.all : before !== this.all && after === this.all) {
        if (before === undefined) this.partial++;
        else this.partial--;
      }
      this.pending.set(p, after);
    }
    return mask;
  }

  /** True when every commit still to come is reachable from every product's base. */
  done(): boolean {
    return this.partial === 0 && this.pending.size > 0;
  }
}

import { AppError } from '../../platform/errors.js';
import { nextVersion } from './bump.js';
import { cancelReverts, type ParsedCommit, ReachTracker, readCommit, touches } from './commit-history.js';
import { streamLog } from './git-loader.js';
import { FETCH_HINT, latestBelow, openRepoAt, releaseTags, utf8Warning } from './release-range-loader.js';
import type { ReleaseTag, TagFormat } from './tag-format.js';
import type { VersioningConfig } from './versioning-config.js';
import type { VersionReport } from './versioning-service.js';

export interface ProductTarget {
  key: string;
  path: string | null;
  format: TagFormat;
}

export interface ProductVersion extends VersionReport {
  product: string;
  path: string | null;
}

interface Slot {
  target: ProductTarget;
  bit: bigint;
  latest: ReleaseTag | null;
  stable: ReleaseTag | null;
  commits: ParsedCommit[];
}

/**
 * `railyard version --all`: the next version of every product, from ONE walk over the history with the
 * files each commit changed. Each product counts the commits that touch its folder and are not reachable
 * from its latest release tag; reachability is tracked for all products at once (ReachTracker), and the
 * walk stops as soon as every commit still to come is behind every product's release.
 */
export async function computeAllVersions(
  dir: string,
  to: string,
  products: readonly ProductTarget[],
  pre: string | null,
  config: VersioningConfig,
): Promise<{ items: ProductVersion[]; warnings: string[] }> {
  if (products.length === 0)
    throw new AppError('bad_request', 'railyard.yaml declares no products: --all computes the version of each one');
  const opened = await openRepoAt(dir, to, 'refs/tags', { remote: false });
  const own = new Map<string, bigint>();
  const bases = await Promise.all(products.map((target) => latestBelow(dir, releaseTags(opened.tags, target.format), opened.to)));
  const slots: Slot[] = products.map((target, i) => {
    const bit = 1n << BigInt(i);
    const { latest, stable } = bases[i] ?? { latest: null, stable: null };
    if (stable) own.set(stable.commit, (own.get(stable.commit) ?? 0n) | bit);
    if (opened.repo.shallow && !stable) {
      throw new AppError('bad_request', `this is a shallow clone and ${target.key} has no release tag in its history: ${FETCH_HINT}`);
    }
    return { target, bit, latest, stable, commits: [] };
  });
  const tracker = new ReachTracker(own, (1n << BigInt(products.length)) - 1n);
  const needFiles = products.some((p) => p.path !== null);
  const invalid: string[] = [];
  await streamLog(dir, ['--topo-order', ...(needFiles ? ['--name-only', '--no-renames'] : []), '--end-of-options', opened.to], (raw) => {
    const reached = tracker.visit(raw.hash, raw.parents);
    if (raw.parents.length <= 1) {
      let parsed: ParsedCommit | null = null;
      for (const slot of slots) {
        if ((reached & slot.bit) !== 0n || !touches(raw.files, slot.target.path)) continue;
        parsed ??= readCommit(raw);
        slot.commits.push(parsed);
      }
      if (parsed?.invalidUtf8) invalid.push(parsed.hash);
    }
    return tracker.done() ? false : undefined;
  });
  const items = slots.map((slot): ProductVersion => {
    const v = nextVersion(
      { latest: slot.latest?.version ?? null, stable: slot.stable?.version ?? null, commits: cancelReverts(slot.commits), pre },
      config,
    );
    return {
      product: slot.target.key,
      path: slot.target.path,
      ...v,
      tag: slot.target.format.tagOf(v.next),
      from: slot.stable?.name ?? null,
      to,
    };
  });
  const warning = utf8Warning(invalid);
  return { items, warnings: warning ? [warning] : [] };
}

/** Web links of a hosted repository: commits, pull requests, issues, and the compare view between tags. */
export interface RepoLinks {
  base: string;
  commit(hash: string): string;
  pr(n: number): string;
  issue(n: number): string;
  compare(from: string, to: string): string;
}

/**
 * The web address of a git remote: `git@github.com:acme/shop.git`, `ssh://git@host:22/acme/shop`,
 * `https://token@github.com/acme/shop.git` → `https://github.com/acme/shop` (credentials are dropped, so a
 * token in a remote URL never reaches release notes). Local paths have no web address: null.
 */
export function webUrlOf(remote: string): string | null {
  const r = remote.trim();
  let host: string;
  let path: string;
  const scp = /^(?:[\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(r);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(r)) {
    let url: URL;
    try {
      url = new URL(r);
    } catch {
      return null;
    }
    if (!['http:', 'https:', 'ssh:', 'git:', 'git+ssh:', 'ssh+git:'].includes(url.protocol) || !url.hostname) return null;
    host = url.hostname;
    path = url.pathname;
    if (url.protocol === 'http:' || url.protocol === 'https:') host = url.host;
  } else if (scp && !r.startsWith('/') && !r.startsWith('.')) {
    host = scp[1] ?? '';
    path = scp[2] ?? '';
  } else {
    return null;
  }
  path = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  if (!host || !path) return null;
  return `https://${host}/${path}`;
}

/** Link shapes by host: GitLab's `/-/` paths, Bitbucket's, and GitHub's (also used for unknown hosts). */
export function linksFor(webUrl: string | null): RepoLinks | null {
  if (!webUrl) return null;
  const base = webUrl.replace(/\/+$/, '');
  const host = (() => {
    try {
      return new URL(base).hostname;
    } catch {
      return '';
    }
  })();
  if (host.includes('gitlab')) {
    return {
      base,
      commit: (h) => `${base}/-/commit/${h}`,
      pr: (n) => `${base}/-/merge_requests/${n}`,
      issue: (n) => `${base}/-/issues/${n}`,
      compare: (a, b) => `${base}/-/compare/${encodeURIComponent(a)}...${encodeURIComponent(b)}`,
    };
  }
  if (host === 'bitbucket.org') {
    return {
      base,
      commit: (h) => `${base}/commits/${h}`,
      pr: (n) => `${base}/pull-requests/${n}`,
      issue: (n) => `${base}/issues/${n}`,
      compare: (a, b) => `${base}/branches/compare/${encodeURIComponent(b)}%0D${encodeURIComponent(a)}`,
    };
  }
  return {
    base,
    commit: (h) => `${base}/commit/${h}`,
    pr: (n) => `${base}/pull/${n}`,
    issue: (n) => `${base}/issues/${n}`,
    compare: (a, b) => `${base}/compare/${encodeURIComponent(a)}...${encodeURIComponent(b)}`,
  };
}

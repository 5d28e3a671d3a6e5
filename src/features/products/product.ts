/** Keys name things in URLs, CLI arguments and `PRODUCT@VERSION` references. */
export const KEY_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$';
const KEY_RE = new RegExp(KEY_PATTERN);

export interface Dependency {
  product: string;
  range: string;
}

export interface Product {
  id: string;
  key: string;
  name: string;
  description: string;
  repo: string | null;
  path: string | null;
  tagFormat: string;
  owners: string[];
  notify: string[];
  track: string | null;
  dependsOn: Dependency[];
  createdAt: string;
  updatedAt: string;
}

export const DEFAULT_TAG_FORMAT = 'v{version}';

export function isValidKey(key: string): boolean {
  return KEY_RE.test(key);
}

/** Returns why a tag format cannot work, or null. It needs exactly one `{version}`; `{name}` is optional. */
export function tagFormatProblem(format: string): string | null {
  const placeholders = format.match(/\{[^}]*\}/g) ?? [];
  const unknown = placeholders.filter((p) => p !== '{version}' && p !== '{name}');
  if (unknown.length > 0) return `unknown placeholder ${unknown[0]} (use {version} and {name})`;
  const versions = placeholders.filter((p) => p === '{version}').length;
  if (versions !== 1) return 'must contain {version} exactly once';
  if (/[\s~^:?*[\\]/.test(format.replaceAll('{version}', '').replaceAll('{name}', ''))) {
    return 'contains characters git does not allow in tag names';
  }
  return null;
}

import prerelease from 'semver/functions/prerelease.js';
import valid from 'semver/functions/valid.js';
import { AppError } from '../../platform/errors.js';
import { tagFormatProblem } from '../products/product.js';

/**
 * A product's tag format (`v{version}`, `{name}@{version}`, `{name}-v{version}`) made concrete: which tags
 * are its releases, the version each names, and the tag of a new version.
 */
export interface TagFormat {
  /** The format as written, e.g. `{name}@{version}`. */
  format: string;
  /** The format with `{name}` filled in, e.g. `web@{version}`. */
  resolved: string;
  /** A `git for-each-ref` pattern that narrows the listing to candidate tags, e.g. `refs/tags/web@*`. */
  refPattern: string;
  /** The version a tag names, or null when the tag is not one of this format's (or not a semantic version). */
  versionOf(tag: string): string | null;
  /** What stands where `{version}` is, not yet checked to be a semantic version (null: not this format's tag). */
  candidateOf(tag: string): string | null;
  tagOf(version: string): string;
}

export function compileTagFormat(format: string, name: string | null): TagFormat {
  const problem = tagFormatProblem(format);
  if (problem) throw new AppError('bad_request', `tag format '${format}' ${problem}`);
  if (format.includes('{name}') && !name) {
    throw new AppError(
      'bad_request',
      `tag format '${format}' uses {name}: name the product with --product KEY, or use --path (its last folder is the name)`,
    );
  }
  const resolved = format.replaceAll('{name}', name ?? '');
  const [prefix = '', suffix = ''] = resolved.split('{version}');
  const candidateOf = (tag: string): string | null =>
    tag.length <= prefix.length + suffix.length || !tag.startsWith(prefix) || !tag.endsWith(suffix)
      ? null
      : tag.slice(prefix.length, tag.length - suffix.length);
  return {
    format,
    resolved,
    refPattern: `refs/tags/${prefix}*${suffix}`,
    candidateOf,
    versionOf(tag) {
      const v = candidateOf(tag);
      return v !== null && valid(v) === v ? v : null;
    },
    tagOf: (version) => `${prefix}${version}${suffix}`,
  };
}

/** A release tag as read from git: its name, the version it names and the commit it points at. */
export interface ReleaseTag {
  name: string;
  version: string;
  commit: string;
}

export function isPrerelease(version: string): boolean {
  return prerelease(version) !== null;
}

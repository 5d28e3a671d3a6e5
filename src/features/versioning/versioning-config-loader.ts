import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../platform/errors.js';
import { DEFAULT_TAG_FORMAT } from '../products/product.js';
import { resolveVersioningConfig, type VersioningConfig, versioningConfigProblems } from './versioning-config.js';

/** A product as railyard.yaml declares it, with what versioning needs. */
export interface DeclaredProduct {
  key: string;
  path: string | null;
  tagFormat: string;
}

export interface VersioningSettings {
  /** The file read, or null when there was none (defaults apply). */
  file: string | null;
  config: VersioningConfig;
  products: DeclaredProduct[];
}

/**
 * Reads the `versioning:` section and the products of railyard.yaml. An explicit `file` must exist; without
 * one, `railyard.yaml` in `dir` is read when it is there and the defaults apply when it is not, so the
 * standalone commands work on any git repository. The YAML parser loads only when there is a file.
 */
export async function loadVersioningSettings(file: string | undefined, dir = '.'): Promise<VersioningSettings> {
  const path = file ?? join(dir, 'railyard.yaml');
  if (!file && !existsSync(path)) return { file: null, config: resolveVersioningConfig(undefined), products: [] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AppError('bad_request', code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code})`);
  }
  const { configProblems, parseConfig } = await import('../config/config-document.js');
  const parsed = parseConfig(text, path);
  const problems = versioningConfigProblems(parsed.versioning);
  if (problems.length > 0) throw configProblems(text, path, problems);
  return {
    file: path,
    config: resolveVersioningConfig(parsed.versioning),
    products: (parsed.products ?? []).map((p) => ({ key: p.key, path: p.path ?? null, tagFormat: p.tagFormat ?? DEFAULT_TAG_FORMAT })),
  };
}

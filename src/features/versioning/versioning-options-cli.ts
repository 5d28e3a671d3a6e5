import { InvalidArgumentError } from '@commander-js/extra-typings';
import { tagFormatProblem } from '../products/product.js';
import { preIdProblem } from './bump.js';
import type { VersionReport } from './versioning-service.js';

/** `--tag-format` is checked as it is parsed: a malformed format is a usage error (exit 2). */
export function parseTagFormat(value: string): string {
  const problem = tagFormatProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

export function parsePreId(value: string): string {
  const problem = preIdProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

export interface RangeOptions {
  repo: string;
  to: string;
  path?: string;
  tagFormat?: string;
  product?: string;
  pre?: string;
  config?: string;
  /** What `{name}` in the tag format stands for (default: the product key, else the last folder of --path). */
  name?: string;
}

export function warn(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
}

export function describeVersion(r: Pick<VersionReport, 'next' | 'bump' | 'reason' | 'commits' | 'from'>): string {
  const since = r.from ? ` since ${r.from}` : '';
  const count = `${r.commits} commit${r.commits === 1 ? '' : 's'}`;
  if (r.bump === 'none') return `${r.next} (no new version: ${r.reason}${since})`;
  if (r.bump === 'initial') return `${r.next} (${r.reason}; ${count})`;
  return `${r.next} (${r.bump} bump${since}: ${r.reason}; ${count})`;
}
